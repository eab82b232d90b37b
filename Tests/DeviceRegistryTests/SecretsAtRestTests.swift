import DeviceRegistry
import Foundation
import Testing
import TestSupport

@Suite("Secrets at rest")
struct SecretsAtRestTests {
    @Test func noSecretCanBeFoundInTheDatabaseItsWALOrAnExport() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        var secrets: [[UInt8]] = []
        for index in 0..<5 {
            let id = "dev-\(index)"
            try registry.addDevice(id: id)
            let psk = Fixtures.distinctiveSecret(16, seed: UInt8(index))
            let sealing = Fixtures.distinctiveSecret(32, seed: UInt8(100 + index))
            try registry.addPSK(deviceID: id, identity: "identity-\(index)", key: psk)
            try registry.addSealingSecret(deviceID: id, kid: [UInt8(index), 0xEE], secret: sealing)
            secrets += [psk, sealing]
        }
        let rotation = try registry.rotatePSK(deviceID: "dev-0", grace: 60)
        secrets.append(rotation.secret)
        let revealed = try registry.revealSecrets(deviceID: "dev-1")
        #expect(revealed.count == 2)
        let export = try registry.exportJSON()
        let exportPath = directory.file("export.json")
        try export.write(to: URL(fileURLWithPath: exportPath))

        // While the registry is open the WAL holds the newest pages: search it too.
        let files = Fixtures.databaseFiles(database) + [exportPath]
        #expect(files.contains(database + "-wal"))
        for file in files {
            for secret in secrets {
                for (form, bytes) in Fixtures.leakForms(of: secret) {
                    #expect(try !Fixtures.file(file, contains: bytes), "\(form) secret found in \(file)")
                }
            }
        }
        // The search itself works: identities (not secret) are there in the clear.
        #expect(try Fixtures.file(database + "-wal", contains: Array("identity-3".utf8)) || Fixtures.file(database, contains: Array("identity-3".utf8)))
        registry.close()
    }

    @Test func aSecretMovedToAnotherRowNoLongerDecrypts() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        try registry.addDevice(id: "victim")
        try registry.addDevice(id: "attacker")
        try registry.addPSK(deviceID: "victim", identity: "victim", key: Fixtures.distinctiveSecret(16, seed: 1))
        try registry.addPSK(deviceID: "attacker", identity: "attacker", key: Fixtures.distinctiveSecret(16, seed: 2))
        registry.close()

        // Copy the victim's encrypted key onto the attacker's row.
        _ = try await ChildProcess.sqlite(database, """
            UPDATE credentials SET sealed_secret = (SELECT sealed_secret FROM credentials WHERE psk_identity = 'victim')
            WHERE psk_identity = 'attacker';
            """)
        let reopened = try Fixtures.sqliteRegistry(in: directory, watch: false)
        defer { reopened.close() }
        #expect(reopened.pskKey(forIdentity: "attacker") == nil)
        #expect(reopened.pskKey(forIdentity: "victim") != nil)
        #expect(reopened.unreadableCredentialIDs.count == 1)
        let report = try reopened.securityReport()
        #expect(report.findings.contains { $0.kind == .unreadableSecret && $0.deviceIDs == ["attacker"] })
    }

    @Test func databaseFilesAreNotReadableByOthers() throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        try registry.addDevice(id: "dev-1")
        for file in Fixtures.databaseFiles(database) {
            #expect(try Fixtures.mode(file) & 0o077 == 0, "\(file) is readable by group or others")
        }
        registry.close()
    }
}
