import Foundation
import LibCrypto
import Sealing
import Testing
import TestSupport

/// `coap seal` and `coap open`, run as a user would: bytes on stdin and stdout, exit statuses,
/// one-line errors. Secrets are generated per test into a temporary directory.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct SealCLITests {
    /// A temporary directory holding secret files; removed when the test's value goes away.
    final class Workspace {
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("seal-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// Writes `contents` to a 0600 file and returns its path.
        func file(_ name: String, _ contents: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw TestFailure("cannot write \(path)")
            }
            return path
        }

        /// A fresh random device secret, and the path of its file (the documented format).
        func secret(_ name: String = "secret.hex") throws -> (secret: DeviceSecret, path: String) {
            let secret = try DeviceSecret.generate()
            return (secret, try file(name, secret.fileRepresentation()))
        }
    }

    static let exitCannotOpen: Int32 = 2
    static let exitUsage: Int32 = 64

    /// Binary on purpose: NUL, 0xFF, a newline, some JSON.
    static let plaintext: [UInt8] = [0x00, 0xFF, 0x0A] + Array(#"[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1}]"#.utf8)

    /// Runs `coap` with `stdin` as its standard input.
    static func coap(_ arguments: [String], stdin: [UInt8] = []) async throws -> TestSupport.ProcessResult {
        try await run(try TestSupport.product("coap"), arguments, stdin: stdin, timeout: 30)
    }

    /// `TestSupport.run` with stdin read from a file instead of its stdin pipe: Foundation's `Pipe`
    /// does not set FD_CLOEXEC, so the child inherits the pipe's write end, and a program that reads
    /// stdin to EOF (`coap seal`, `coap open`, the pycose script) would wait for ever.
    static func run(_ path: String, _ arguments: [String], stdin: [UInt8], timeout: Double) async throws -> TestSupport.ProcessResult {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("seal-cli-stdin-\(UUID().uuidString)")
        try Data(stdin).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        return try await TestSupport.run(
            "/bin/sh", ["-c", #"exec "$0" "$@" < "$SEAL_CLI_STDIN""#, path] + arguments,
            timeout: timeout, environment: ["SEAL_CLI_STDIN": input.path])
    }

    static func seal(
        _ secretPath: String, kid: String, device: String, seq: UInt64, alg: Int? = nil, contentFormat: String? = nil,
        hex: Bool = false, plaintext: [UInt8] = plaintext
    ) async throws -> TestSupport.ProcessResult {
        var arguments = ["seal", "--secret-file", secretPath, "--kid", kid, "--device", device, "--seq", String(seq)]
        if let alg { arguments += ["--alg", String(alg)] }
        if let contentFormat { arguments += ["--content-format", contentFormat] }
        if hex { arguments.append("--hex") }
        return try await coap(arguments, stdin: plaintext)
    }

    /// Seals and requires success; returns the binary message.
    static func sealedMessage(
        _ secretPath: String, kid: String, device: String, seq: UInt64, alg: Int? = nil, contentFormat: String? = nil,
        plaintext: [UInt8] = plaintext
    ) async throws -> [UInt8] {
        let result = try await seal(secretPath, kid: kid, device: device, seq: seq, alg: alg, contentFormat: contentFormat, plaintext: plaintext)
        try #require(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        return Array(result.stdoutBytes)
    }

    static func open(_ secretPath: String, device: String, message: [UInt8], extra: [String] = []) async throws -> TestSupport.ProcessResult {
        try await coap(["open", "--secret-file", secretPath, "--device", device] + extra, stdin: message)
    }

    /// A refusal as the CLI convention wants it: the status, nothing on stdout, one stderr line.
    static func expectRefusal(_ result: TestSupport.ProcessResult, status: Int32, containing fragment: String? = nil,
                              note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "\(note)\(result)", sourceLocation: sourceLocation)
        #expect(!result.timedOut, "\(note)", sourceLocation: sourceLocation)
        #expect(result.stdoutBytes.isEmpty, "\(note)nothing may reach stdout on a refusal: \(result)", sourceLocation: sourceLocation)
        if let fragment {
            #expect(result.stderr.contains(fragment), "\(note)\(result)", sourceLocation: sourceLocation)
        }
    }

    static func expectOneLine(_ result: TestSupport.ProcessResult, prefix: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix(prefix),
                "one stderr line starting with '\(prefix)': \(result)", sourceLocation: sourceLocation)
    }

    // MARK: - Round trips

    @Test(arguments: [10, 1, 3])
    func sealThenOpenRoundTripsInBinaryAndHex(alg: Int) async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret()
        let kid = "0a0b0c"

        let binary = try await Self.seal(secretPath, kid: kid, device: "sensor-7", seq: 1_000, alg: alg, contentFormat: "senml+json")
        try #require(binary.status == 0, "\(binary)")
        let message = Array(binary.stdoutBytes)
        #expect(message.first == 0xD0, "CBOR tag 16 (COSE_Encrypt0)")
        let header = try SealedPayload(parsing: message)
        #expect(header.algorithm.rawValue == alg)
        #expect(header.kid == [0x0A, 0x0B, 0x0C])
        #expect(header.sequenceNumber == 1_000)
        #expect(header.partialIV == [0x03, 0xE8])
        #expect(header.contentFormat == 110)

        // --hex writes the same message as one line of hex (same seq, so the same bytes).
        let hex = try await Self.seal(secretPath, kid: kid, device: "sensor-7", seq: 1_000, alg: alg, contentFormat: "110", hex: true)
        try #require(hex.status == 0, "\(hex)")
        #expect(hex.stdout == Hex.encode(message) + "\n")

        let opened = try await Self.open(secretPath, device: "sensor-7", message: message)
        #expect(opened.status == 0, "\(opened)")
        #expect(Array(opened.stdoutBytes) == Self.plaintext)
        #expect(opened.stderr.isEmpty, "no header unless asked: \(opened)")

        let openedHex = try await Self.open(secretPath, device: "sensor-7", message: Array(hex.stdoutBytes), extra: ["--hex"])
        #expect(openedHex.status == 0, "\(openedHex)")
        #expect(Array(openedHex.stdoutBytes) == Self.plaintext)

        // An empty payload round-trips too.
        let empty = try await Self.sealedMessage(secretPath, kid: kid, device: "sensor-7", seq: 1_001, alg: alg, plaintext: [])
        let openedEmpty = try await Self.open(secretPath, device: "sensor-7", message: empty)
        #expect(openedEmpty.status == 0 && openedEmpty.stdoutBytes.isEmpty, "\(openedEmpty)")
    }

    @Test(arguments: [10, 1, 3])
    func cliBytesAreTheLibrarysBytesAndOpenWithAKeyRing(alg: Int) async throws {
        let workspace = try Workspace()
        let (secret, secretPath) = try workspace.secret()
        let algorithm = try #require(SealingAlgorithm(rawValue: alg))
        let seq: UInt64 = 65_536
        let message = try await Self.sealedMessage(secretPath, kid: "42", device: "dev-42", seq: seq, alg: alg, contentFormat: "60")

        // The library's Sealer, given the same sequence number, writes exactly these bytes.
        let key = try secret.deriveKey(kid: [0x42], algorithm: algorithm)
        let sealer = try Sealer(key: key, deviceID: "dev-42", sequenceNumbers: InMemorySequenceNumberSource(startingAt: seq))
        #expect(try sealer.seal(Self.plaintext, contentFormat: 60) == message)

        // A gateway's KeyRing opens it, and refuses it the second time.
        let ring = KeyRing()
        try ring.add(key, deviceID: "dev-42")
        let opened = try ring.openAndRecord(message, deviceID: "dev-42")
        #expect(opened.plaintext == Self.plaintext)
        #expect(opened.kid == [0x42])
        #expect(opened.sequenceNumber == seq)
        #expect(opened.contentFormat == 60)
        #expect(opened.algorithm == algorithm)
        let replay = #expect(throws: SealingError.self) { try ring.open(message, deviceID: "dev-42") }
        #expect(replay?.code == .replay)

        // `coap open` is one-shot: no replay state, the same message opens every time.
        for _ in 0..<2 {
            let result = try await Self.open(secretPath, device: "dev-42", message: message)
            #expect(result.status == 0, "\(result)")
            #expect(Array(result.stdoutBytes) == Self.plaintext)
        }
    }

    @Test func showHeaderAndVerbosePrintTheHeaderToStderr() async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret()
        let message = try await Self.sealedMessage(secretPath, kid: "beef", device: "d", seq: 256, alg: 1, contentFormat: "cbor")
        for flag in ["--show-header", "-v"] {
            let result = try await Self.open(secretPath, device: "d", message: message, extra: [flag])
            #expect(result.status == 0, "\(result)")
            #expect(Array(result.stdoutBytes) == Self.plaintext, "the header goes to stderr, not into the plaintext")
            for line in ["kid: beef", "partial IV: 0100 (seq 256)", "alg: A128GCM (1)", "content-format: 60"] {
                #expect(result.stderr.contains(line), "'\(line)' with \(flag): \(result)")
            }
        }
    }

    @Test func secretFileToleratesBlanksAndNewlines() async throws {
        let workspace = try Workspace()
        let (secret, plainPath) = try workspace.secret()
        let digits = secret.bytes.withUnsafeBytes { Hex.encode($0) }.uppercased()
        var grouped = "  "
        for (i, c) in digits.enumerated() { grouped += (i > 0 && i % 8 == 0 ? " " : "") + String(c) }
        let loosePath = try workspace.file("loose.hex", grouped + "\r\n\n\t")
        let plain = try await Self.sealedMessage(plainPath, kid: "01", device: "d", seq: 5)
        let loose = try await Self.sealedMessage(loosePath, kid: "01", device: "d", seq: 5)
        #expect(plain == loose, "the same secret however it is laid out")
        let opened = try await Self.open(loosePath, device: "d", message: plain)
        #expect(opened.status == 0, "\(opened)")
    }

    // MARK: - Refusals (exit 2)

    @Test func everyAlteredByteIsRefused() async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret()
        let message = try await Self.sealedMessage(secretPath, kid: "01", device: "dev-1", seq: 42, contentFormat: "senml+json",
                                                   plaintext: Array("21.5".utf8))
        for index in message.indices {
            var altered = message
            altered[index] ^= 0x01
            let result = try await Self.open(secretPath, device: "dev-1", message: altered)
            Self.expectRefusal(result, status: Self.exitCannotOpen, note: "byte \(index) altered: ")
            Self.expectOneLine(result, prefix: "coap open: cannot open:")
        }
        // A flipped bit in the tag: the reason is named.
        var tampered = message
        tampered[tampered.count - 1] ^= 0x80
        let result = try await Self.open(secretPath, device: "dev-1", message: tampered)
        Self.expectRefusal(result, status: Self.exitCannotOpen, containing: "authentication failed")
        #expect(result.stderr.contains("kid 01, seq 42"), "\(result)")
    }

    @Test func wrongSecretIsRefused() async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret("right.hex")
        let (_, otherPath) = try workspace.secret("other.hex")
        for alg in [10, 1, 3] {
            let message = try await Self.sealedMessage(secretPath, kid: "01", device: "dev-1", seq: 7, alg: alg)
            let result = try await Self.open(otherPath, device: "dev-1", message: message)
            Self.expectRefusal(result, status: Self.exitCannotOpen, containing: "authentication failed")
            Self.expectOneLine(result, prefix: "coap open: cannot open: authentication failed")
        }
    }

    @Test func wrongDeviceIsRefused() async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret()
        let message = try await Self.sealedMessage(secretPath, kid: "01", device: "dev-1", seq: 7)
        for device in ["dev-2", "", "dev-1 "] {
            let result = try await Self.open(secretPath, device: device, message: message)
            Self.expectRefusal(result, status: Self.exitCannotOpen, containing: "authentication failed")
            #expect(result.stderr.contains("--device"), "the message names the device id as a suspect: \(result)")
        }
    }

    @Test func malformedMessagesAndUnknownAlgorithmsAreRefused() async throws {
        let workspace = try Workspace()
        let (_, secretPath) = try workspace.secret()
        let message = try await Self.sealedMessage(secretPath, kid: "01", device: "d", seq: 1)
        // D0 83 46 | A2 01 0A 03 18 2A | ... (tag 16, array of 3, protected bstr {1: 10, 3: 42}): alg is byte 5.
        try #require(Array(message[0..<6]) == [0xD0, 0x83, 0x46, 0xA2, 0x01, 0x0A])
        var otherAlgorithm = message
        otherAlgorithm[5] = 0x0B
        let cases: [(String, [UInt8], String)] = [
            ("empty stdin", [], "malformed"),
            ("not CBOR", Array("hello, world".utf8), "malformed"),
            ("truncated", Array(message.dropLast(3)), "malformed"),
            ("trailing bytes", message + [0x00], "malformed"),
            ("alg 11", otherAlgorithm, "algorithm 11 is not supported"),
        ]
        for (name, bytes, fragment) in cases {
            let result = try await Self.open(secretPath, device: "d", message: bytes)
            Self.expectRefusal(result, status: Self.exitCannotOpen, containing: fragment, note: "\(name): ")
            Self.expectOneLine(result, prefix: "coap open: cannot open:")
        }
        // Through --hex, the same refusal.
        let hex = Array((Hex.encode(otherAlgorithm) + "\n").utf8)
        let viaHex = try await Self.open(secretPath, device: "d", message: hex, extra: ["--hex"])
        Self.expectRefusal(viaHex, status: Self.exitCannotOpen, containing: "not supported")
    }

    // MARK: - Bad arguments (exit 64)

    @Test func badArgumentsExit64() async throws {
        let workspace = try Workspace()
        let (secret, secretPath) = try workspace.secret()
        let digits = secret.bytes.withUnsafeBytes { Hex.encode($0) }
        let short = try workspace.file("short.hex", String(digits.dropLast()) + "\n")
        let long = try workspace.file("long.hex", digits + "0\n")
        let notHex = try workspace.file("nothex.hex", String(digits.dropLast()) + "g\n")
        let empty = try workspace.file("empty.hex", "")
        let missing = workspace.directory.appendingPathComponent("missing.hex").path

        func seal(_ extra: [String], secret: String = secretPath, kid: String = "01") -> [String] {
            ["seal", "--secret-file", secret, "--kid", kid, "--device", "d", "--seq", "1"] + extra
        }
        let cases: [(String, [String], String?)] = [
            ("kid not hex", seal([], kid: "zz"), "--kid"),
            ("kid odd length", seal([], kid: "012"), "--kid"),
            ("kid empty", seal([], kid: ""), "--kid"),
            ("kid too long", seal([], kid: String(repeating: "ab", count: 65)), "--kid"),
            ("alg 5", seal(["--alg", "5"]), "--alg"),
            ("seq 2^40", ["seal", "--secret-file", secretPath, "--kid", "01", "--device", "d", "--seq", "1099511627776"], "--seq"),
            ("seq negative", ["seal", "--secret-file", secretPath, "--kid", "01", "--device", "d", "--seq", "-1"], nil),
            ("content-format unknown", seal(["--content-format", "nonsense"]), "content format"),
            ("no device", ["seal", "--secret-file", secretPath, "--kid", "01", "--seq", "1"], "--device"),
            ("missing secret file", seal([], secret: missing), "missing.hex"),
            ("secret is a directory", seal([], secret: workspace.directory.path), "secret file"),
            ("secret 63 hex", seal([], secret: short), "64 hex characters"),
            ("secret 65 hex", seal([], secret: long), "64 hex characters"),
            ("secret not hex", seal([], secret: notHex), "not a hex digit"),
            ("secret empty", seal([], secret: empty), "64 hex characters"),
            ("open: missing secret file", ["open", "--secret-file", missing, "--device", "d"], "missing.hex"),
            ("open: secret 63 hex", ["open", "--secret-file", short, "--device", "d"], "64 hex characters"),
            ("open: no device", ["open", "--secret-file", secretPath], "--device"),
            ("open: stdin not hex", ["open", "--secret-file", secretPath, "--device", "d", "--hex"], "not hex"),
        ]
        for (name, arguments, fragment) in cases {
            let result = try await Self.coap(arguments, stdin: Array("zz-not-hex\n".utf8))
            #expect(result.status == Self.exitUsage, "\(name): \(result)")
            #expect(result.stdoutBytes.isEmpty, "\(name): \(result)")
            if let fragment { #expect(result.stderr.contains(fragment), "\(name): \(result)") }
            // A refused secret file is never quoted back.
            #expect(!result.stderr.lowercased().contains(String(digits.prefix(16))), "\(name) leaks the secret: \(result)")
        }
    }

    // MARK: - pycose

    /// Runs only when SECURECOAP_SKIP_PYTHON is not 1; then the venv must exist (`make venv`).
    static var pythonWanted: Bool { ProcessInfo.processInfo.environment["SECURECOAP_SKIP_PYTHON"] != "1" }

    static var python: String {
        if let venv = ProcessInfo.processInfo.environment["SECURECOAP_VENV"], !venv.isEmpty { return venv + "/bin/python" }
        return TestSupport.packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    @Test(.enabled(if: pythonWanted, "SECURECOAP_SKIP_PYTHON=1: pycose cross-check skipped"))
    func pycoseOpensWhatCoapSeals() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw TestFailure("pycose venv missing (\(Self.python)): run `make venv`, or set SECURECOAP_SKIP_PYTHON=1 to skip")
        }
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/SealingTests/Fixtures/pycose_crosscheck.py").path
        let workspace = try Workspace()
        let (secret, secretPath) = try workspace.secret()
        let secretHex = secret.bytes.withUnsafeBytes { Hex.encode($0) }
        let cases: [(alg: Int, kid: String, seq: UInt64, cf: Int)] = [(10, "01", 0, 110), (1, "a1b2", 4_096, 60), (3, "ff00ff", (1 << 40) - 1, 0)]
        var requests: [[String: Any]] = []
        for c in cases {
            let message = try await Self.sealedMessage(secretPath, kid: c.kid, device: "capteur-été", seq: c.seq, alg: c.alg, contentFormat: String(c.cf))
            requests.append(["secret": secretHex, "device": "capteur-été", "message": Hex.encode(message)])
        }
        let request = try JSONSerialization.data(withJSONObject: ["open": requests])
        let run = try await Self.run(Self.python, [script], stdin: Array(request), timeout: 60)
        try #require(run.status == 0, "pycose_crosscheck.py: \(run)")
        let reply = try #require(try JSONSerialization.jsonObject(with: run.stdoutBytes) as? [String: Any])
        let opened = try #require(reply["open"] as? [[String: Any]])
        try #require(opened.count == cases.count)
        for (c, result) in zip(cases, opened) {
            #expect(result["plaintext"] as? String == Hex.encode(Self.plaintext))
            #expect(result["kid"] as? String == c.kid)
            #expect((result["seq"] as? NSNumber)?.uint64Value == c.seq)
            #expect((result["alg"] as? NSNumber)?.intValue == c.alg)
            #expect((result["content_format"] as? NSNumber)?.intValue == c.cf)
        }
    }
}
