import DeviceRegistry
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The `coap-registry` executable, run as a user would.
@Suite("coap-registry CLI")
struct RegistryCLITests {
    let directory: TemporaryDirectory
    let database: String

    init() throws {
        directory = try TemporaryDirectory()
        database = directory.file("data/registry.db")
    }

    private func cli(_ arguments: String..., environment: [String: String] = [:]) async throws -> ChildProcess.Result {
        try await cli(arguments, environment: environment)
    }

    private func cli(_ arguments: [String], environment: [String: String] = [:]) async throws -> ChildProcess.Result {
        try await ChildProcess.run(try ChildProcess.registryTool(), arguments + ["--db", database], environment: environment)
    }

    private func initialized() async throws {
        let result = try await cli("init")
        try #require(result.status == 0, "\(result)")
    }

    private func openRegistry() throws -> DeviceRegistry {
        var configuration = DeviceRegistryConfiguration()
        configuration.watchesForChanges = false
        return try DeviceRegistry(databasePath: database, masterKeyFile: database + ".master-key", configuration: configuration)
    }

    @Test func initCreatesAPrivateKeyAndRefusesToRunTwice() async throws {
        try await initialized()
        #expect(try Fixtures.mode(database + ".master-key") == 0o600)
        #expect(try Fixtures.mode(database) & 0o077 == 0)
        let again = try await cli("init")
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(again.stderr.split(separator: "\n").count == 1)
    }

    @Test func commandsOnAMissingRegistryExplainWhatToDo() async throws {
        let result = try await cli("list")
        #expect(result.status == 1)
        #expect(result.stderr.contains("coap-registry init"))
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func provisioningWithGeneratedKeysPrintsThemOnceAndStoresThemEncrypted() async throws {
        try await initialized()
        let added = try await cli("add", "dev-1", "--generate-psk", "--generate-sealing-key", "--allow", "POST /readings", "--label", "site=lab")
        try #require(added.status == 0, "\(added)")
        let pskLine = try #require(added.stdout.split(separator: "\n").first { $0.contains("--psk-key-hex") })
        let keyHex = String(try #require(pskLine.split(separator: " ").last))
        let sealingLine = try #require(added.stdout.split(separator: "\n").first { $0.contains("sealing secret for kid") })
        let secretHex = String(try #require(sealingLine.split(separator: " ").last))
        #expect(keyHex.count == 32 && secretHex.count == 64)

        let registry = try openRegistry()
        let match = try #require(registry.pskKey(forIdentity: "dev-1"))
        #expect(match.key.map { String(format: "%02x", $0) }.joined() == keyHex)
        #expect(registry.sealingSecrets(forDevice: "dev-1").first?.secret.map { String(format: "%02x", $0) }.joined() == secretHex)
        #expect(registry.isAllowed(deviceID: "dev-1", method: "POST", path: "/readings"))
        #expect(registry.device("dev-1")?.labels == ["site": "lab"])
        registry.close()

        // Nothing else prints a secret.
        for command in [["list"], ["show", "dev-1"], ["show", "dev-1", "--json"], ["list", "--json"], ["audit"], ["audit", "--json"], ["export"]] {
            let output = try await cli(command)
            #expect(output.status == 0, "\(command): \(output)")
            #expect(!output.stdout.contains(keyHex) && !output.stdout.contains(secretHex), "\(command) printed a secret")
            #expect(!output.stderr.contains(keyHex) && !output.stderr.contains(secretHex))
        }
        for file in Fixtures.databaseFiles(database) {
            #expect(try !Fixtures.file(file, contains: Array(keyHex.utf8)) && !Fixtures.file(file, contains: Array(secretHex.utf8)))
        }

        // --reveal shows them, and is audited.
        let revealed = try await cli("show", "dev-1", "--reveal")
        #expect(revealed.stdout.contains(keyHex) && revealed.stdout.contains(secretHex))
        let audit = try await cli("audit", "--json")
        #expect(audit.stdout.contains("secret.reveal"))
    }

    @Test func badInputGivesOneLineAndAnHonestExitCode() async throws {
        try await initialized()
        #expect(try await cli("add", "dev-1", "--psk-key-hex", "00112233445566778899aabbccddeeff").status == 0)

        let duplicate = try await cli("add", "dev-1")
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr == "coap-registry: device dev-1 already exists\n")

        let sameIdentity = try await cli("add", "dev-2", "--psk-identity", "dev-1", "--psk-key", "secret-text-0123")
        #expect(sameIdentity.status == 1)
        #expect(sameIdentity.stderr.contains("already registered"))
        #expect(!sameIdentity.stderr.contains("secret-text"))
        let short = try await cli("add", "dev-3", "--psk-key", "secret-text")
        #expect(short.status == 64 && short.stderr.contains("16 to 64 bytes"), "\(short)")

        let invalid = try await cli("add", "bad id")
        #expect(invalid.status == 64)
        #expect(invalid.stderr.split(separator: "\n").count == 1)

        let longIdentity = try await cli("add", "dev-3", "--psk-identity", String(repeating: "i", count: 65), "--generate-psk")
        #expect(longIdentity.status == 64)
        #expect(longIdentity.stderr.contains("64 bytes"))

        let pem = directory.file("broken.pem")
        try "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".write(toFile: pem, atomically: true, encoding: .utf8)
        let malformed = try await cli("add", "dev-4", "--cert-file", pem)
        #expect(malformed.status == 64)
        #expect(malformed.stderr.contains("malformed PEM"))

        let usage = try await cli("rotate", "dev-1")
        #expect(usage.status == 64)
        #expect(try await cli("suspend", "ghost").status == 1)

        // None of the refused commands wrote anything.
        let registry = try openRegistry()
        #expect(try registry.devices().map(\.id) == ["dev-1"])
        registry.close()
    }

    @Test func aWrongMasterKeyIsRefused() async throws {
        try await initialized()
        let other = directory.file("other.key")
        try DeviceRegistry.createMasterKey(at: other)
        let result = try await cli("list", "--master-key-file", other)
        #expect(result.status == 1)
        #expect(result.stderr.contains("does not match"))
        let viaEnvironment = try await cli(["list"], environment: ["SECURECOAP_MASTER_KEY_FILE": other])
        #expect(viaEnvironment.status == 1)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database + ".master-key")
        let open = try await cli("list")
        #expect(open.status == 1)
        #expect(open.stderr.contains("chmod 600"))
    }

    @Test func suspendRotateRevokeLifecycle() async throws {
        try await initialized()
        #expect(try await cli("add", "dev-1", "--generate-psk").status == 0)
        let rotated = try await cli("rotate", "dev-1", "--psk", "--grace", "600")
        try #require(rotated.status == 0, "\(rotated)")
        #expect(rotated.stdout.contains("--psk-identity dev-1.2 --psk-key-hex"))

        var registry = try openRegistry()
        #expect(registry.pskKey(forIdentity: "dev-1") != nil)
        #expect(registry.pskKey(forIdentity: "dev-1.2") != nil)
        registry.close()

        #expect(try await cli("suspend", "dev-1", "--reason", "maintenance").status == 0)
        registry = try openRegistry()
        #expect(registry.pskKey(forIdentity: "dev-1.2") == nil)
        registry.close()
        #expect(try await cli("resume", "dev-1").status == 0)
        #expect(try await cli("device", "activate", "dev-1").stdout.contains("already active"))
        #expect(try await cli("revoke", "dev-1").status == 0)
        registry = try openRegistry()
        #expect(registry.device("dev-1")?.status == .revoked)
        registry.close()

        let audit = try await cli("audit", "--since", "1h")
        for action in ["credential.rotate", "device.suspend", "device.resume", "device.revoke"] {
            #expect(audit.stdout.contains(action))
        }
        #expect(try await cli("audit", "--verify").status == 0)
    }

    @Test func groupedCommandsAddCredentialsAndRules() async throws {
        try await initialized()
        #expect(try await cli("device", "add", "dev-1").status == 0)
        let psk = try await cli("psk", "add", "dev-1", "--identity", "dev-1-psk", "--generate")
        #expect(psk.status == 0 && psk.stdout.contains("--psk-key-hex"))
        let secretFile = directory.file("dev-1.secret")
        let sealing = try await cli("sealing", "add", "dev-1", "--kid", "0a0b", "--generate", "--secret-file", secretFile)
        #expect(sealing.status == 0, "\(sealing)")
        #expect(try Fixtures.mode(secretFile) == 0o600)
        let secretText = try String(contentsOfFile: secretFile, encoding: .utf8)
        #expect(secretText.count == 65)
        #expect(!sealing.stdout.contains(secretText.dropLast()))
        let again = try await cli("sealing", "add", "dev-1", "--kid", "0c", "--secret-file", secretFile)
        #expect(again.status == 0, "reading the secret file for a second kid: \(again)")
        #expect(try await cli("cert", "add", "dev-1", "--fingerprint", String(repeating: "AB:", count: 31) + "AB").status == 0)
        #expect(try await cli("rule", "add", "dev-1", "GET /state/{device}").status == 0)
        #expect(try await cli("rule", "add", "--all", "GET /fw/**").status == 0)
        #expect(try await cli("deny", "dev-1", "GET /fw/private/**").status == 0)
        let rules = try await cli("rule", "list", "dev-1")
        #expect(rules.stdout.contains("/state/{device}") && rules.stdout.contains("(all)") && rules.stdout.contains("deny"))

        let registry = try openRegistry()
        defer { registry.close() }
        #expect(registry.sealingSecret(forKid: [0x0a, 0x0b])?.secret.map { String(format: "%02x", $0) }.joined() == String(secretText.dropLast()))
        #expect(registry.deviceID(forCertificateFingerprint: String(repeating: "ab", count: 32), subject: nil) == "dev-1")
        #expect(registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/state/dev-1"))
        #expect(registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/fw/v2"))
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/fw/private/key"))
    }

    @Test func auditVerifyCatchesARowEditedWithTheSQLiteShell() async throws {
        try await initialized()
        #expect(try await cli("add", "dev-1", "--generate-psk").status == 0)
        #expect(try await cli("suspend", "dev-1", "--reason", "stolen").status == 0)
        #expect(try await cli("audit", "--verify").status == 0)
        let entries = try await ChildProcess.sqlite(database, "SELECT sequence FROM audit_log WHERE action = 'device.suspend'")
        let sequence = entries.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await ChildProcess.sqlite(database, """
            DROP TRIGGER audit_log_no_update;
            UPDATE audit_log SET detail = 'active → suspended; reason: routine' WHERE sequence = \(sequence);
            """)
        let verify = try await cli("audit", "--verify")
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("entry \(sequence): not authentic"))
        #expect(verify.stderr.contains("tampered"))
        let check = try await cli("check")
        #expect(check.status == 1)
        #expect(check.stdout.contains("audit-log-broken"))
    }

    @Test func exportThenImportIntoAnotherRegistryWithTheSameKey() async throws {
        try await initialized()
        #expect(try await cli("add", "dev-1", "--psk-key-hex", "a1a2a3a4a5a6a7a8a9aaabacadaeafb0", "--allow", "POST /readings").status == 0)
        let exportFile = directory.file("export.json")
        let exported = try await cli("export", exportFile)
        #expect(exported.status == 0, "\(exported)")
        #expect(try Fixtures.mode(exportFile) == 0o600)
        #expect(try !Fixtures.file(exportFile, contains: Array("a1a2a3a4a5a6a7a8a9aaabacadaeafb0".utf8)))

        let second = directory.file("second/registry.db")
        let run = { (arguments: [String]) in
            try await ChildProcess.run(
                try ChildProcess.registryTool(), [arguments[0], "--db", second, "--master-key-file", database + ".master-key"] + arguments.dropFirst())
        }
        #expect(try await run(["init", "--existing-key"]).status == 0)
        let imported = try await run(["import", exportFile])
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stdout.contains("imported 1 devices, 1 credentials, 1 rules"))
        let again = try await run(["import", exportFile])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))

        // A registry with another key refuses the export and stays empty.
        let third = directory.file("third/registry.db")
        #expect(try await ChildProcess.run(try ChildProcess.registryTool(), ["init", "--db", third]).status == 0)
        let refused = try await ChildProcess.run(try ChildProcess.registryTool(), ["import", "--db", third, exportFile])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("another master key"))
        let empty = try await ChildProcess.run(try ChildProcess.registryTool(), ["list", "--db", third, "--json"])
        #expect(empty.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || empty.stdout.contains("[]"))
    }

    @Test func checkReportsSharedAndShortKeys() async throws {
        try await initialized()
        // The registry takes no key under 16 bytes; a check asking for 32 reports these.
        #expect(try await cli("add", "dev-1", "--psk-key", "shared-16-bytes!").status == 0)
        #expect(try await cli("add", "dev-2", "--psk-identity", "other", "--psk-key", "shared-16-bytes!").status == 0)
        let check = try await cli("check", "--json", "--min-key-bytes", "32")
        #expect(check.status == 1)
        #expect(check.stdout.contains("shared-psk") && check.stdout.contains("short-key"))
        #expect(!check.stdout.contains("shared-16-bytes"))
    }

    @Test func aNewerDatabaseIsRefused() async throws {
        try await initialized()
        _ = try await ChildProcess.sqlite(database, "INSERT INTO grdb_migrations (identifier) VALUES ('v2: from the future')")
        let result = try await cli("list")
        #expect(result.status == 1)
        #expect(result.stderr.contains("newer version"))
    }

    @Test func aLockedDatabaseFailsClearlyWithoutAPartialWrite() async throws {
        try await initialized()
        // Another process holds the write lock (long enough for a loaded machine; it is ended as
        // soon as the CLI has answered, and its open transaction is rolled back).
        let holder = try ChildProcess.start(
            try ChildProcess.sqliteShell(), [database],
            stdin: "BEGIN IMMEDIATE;\nINSERT INTO registry_meta (key, value) VALUES ('holder', 'x');\nSELECT 'locked';\n.shell sleep 20\nROLLBACK;\n")
        // Wait until it holds the lock (its stdout says so).
        #expect(await TestSupport.eventually(timeout: 5) { ((try? String(contentsOfFile: holder.outPath, encoding: .utf8)) ?? "").contains("locked") })
        let result = try await cli("add", "dev-1", "--generate-psk", "--busy-timeout", "0.2")
        #expect(result.status == 1)
        #expect(result.stderr.contains("locked"))
        #expect(!result.stdout.contains("--psk-key-hex"))
        kill(holder.pid, SIGKILL)
        _ = await holder.wait(timeout: 30)
        let registry = try openRegistry()
        #expect(try registry.devices().isEmpty)
        #expect(try registry.verifyAuditLog().isIntact)
        registry.close()
    }
}
