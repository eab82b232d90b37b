import Foundation
import LibCrypto
import Sealing
import Testing
import TestSupport

/// Where the project's Python venv is: `$SECURECOAP_VENV`, else `<repo>/.venv`, the repository root
/// being three levels above this file (symlinks resolved).
enum PythonEnvironment {
    static let python: String = {
        if let venv = ProcessInfo.processInfo.environment["SECURECOAP_VENV"], !venv.isEmpty {
            return venv + "/bin/python"
        }
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".venv/bin/python").path
    }()

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: python) }
    static var skipRequested: Bool { ProcessInfo.processInfo.environment["SECURECOAP_SKIP_PYTHON"] == "1" }
    /// Run unless Python is missing and skipping was asked for explicitly.
    static var shouldRun: Bool { isAvailable || !skipRequested }

    /// Runs Fixtures/pycose_crosscheck.py with `request` on stdin; returns its JSON reply.
    static func run(_ request: [String: Any]) throws -> [String: Any] {
        guard isAvailable else {
            throw TestFailure("pycose venv missing (\(python)): run `make venv`, or set SECURECOAP_SKIP_PYTHON=1 to skip")
        }
        guard let script = Bundle.module.url(forResource: "pycose_crosscheck", withExtension: "py", subdirectory: "Fixtures") else {
            throw TestFailure("pycose_crosscheck.py missing from the test bundle")
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = URL(fileURLWithPath: directory.file("request.json"))
        let output = URL(fileURLWithPath: directory.file("reply.json"))
        let errors = URL(fileURLWithPath: directory.file("stderr.txt"))
        try JSONSerialization.data(withJSONObject: request).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let stdin = try FileHandle(forReadingFrom: input), stdout = try FileHandle(forWritingTo: output)
        let stderr = try FileHandle(forWritingTo: errors)
        defer { try? stdin.close(); try? stdout.close(); try? stderr.close() }
        let status = try ChildProcess(
            python, [script.path], stdin: stdin.fileDescriptor, stdout: stdout.fileDescriptor, stderr: stderr.fileDescriptor
        ).waitBlocking()
        guard status == 0 else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw TestFailure("pycose_crosscheck.py failed (\(status)): \(message)")
        }
        guard let reply = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any] else {
            throw TestFailure("pycose_crosscheck.py wrote no JSON object")
        }
        return reply
    }
}

@Suite("pycose cross-check")
struct PycoseCrossCheckTests {
    struct Case {
        var secret: DeviceSecret
        var kid: [UInt8]
        var algorithm: SealingAlgorithm
        var device: String
        var sequenceNumber: UInt64
        var contentFormat: UInt16
        var plaintext: [UInt8]

        var secretHex: String { secret.bytes.withUnsafeBytes { Hex.encode($0) } }
    }

    /// Varied cases for every algorithm, plus one kid whose Base IV starts with 0x00 (the pycose quirk).
    static func cases() throws -> [Case] {
        var cases: [Case] = []
        let sequenceNumbers: [UInt64] = [0, 1, 255, 256, 65_535, 1 << 32, (1 << 40) - 1]
        let sizes = [0, 1, 13, 64, 1000]
        let devices = ["dev-1", "capteur-été-7", "", String(repeating: "x", count: 40)]
        for (index, algorithm) in SealingAlgorithm.allCases.enumerated() {
            for round in 0..<6 {
                let secret = try DeviceSecret.generate()
                cases.append(Case(
                    secret: secret,
                    kid: try SecureRandom.bytes(count: 1 + (round + index) % 8),
                    algorithm: algorithm,
                    device: devices[round % devices.count],
                    sequenceNumber: sequenceNumbers[(round + index) % sequenceNumbers.count],
                    contentFormat: [0, 60, 112, 65535][round % 4],
                    plaintext: try SecureRandom.bytes(count: sizes[round % sizes.count])
                ))
            }
        }
        // A kid whose Base IV starts with 0x00, found deterministically.
        let secret = TestSupport.countingSecret
        var counter: UInt32 = 0
        while true {
            let kid = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
            if try secret.deriveKey(kid: kid).baseIV.withUnsafeBytes({ $0[0] }) == 0 {
                cases.append(Case(secret: secret, kid: kid, algorithm: .aesCCM16_64_128, device: "zero-iv",
                                  sequenceNumber: 77, contentFormat: 112, plaintext: Array("zero base iv".utf8)))
                break
            }
            counter += 1
        }
        return cases
    }

    @Test("pycose opens what we seal, and we open what pycose seals (same bytes)",
          .enabled(if: PythonEnvironment.shouldRun, "SECURECOAP_SKIP_PYTHON=1 and no venv: pycose cross-check skipped"))
    func bothWays() throws {
        let cases = try Self.cases()
        var openRequests: [[String: Any]] = []
        var sealRequests: [[String: Any]] = []
        var ourMessages: [[UInt8]] = []
        for c in cases {
            let key = try c.secret.deriveKey(kid: c.kid, algorithm: c.algorithm)
            let message = try key.seal(c.plaintext, contentFormat: c.contentFormat, deviceID: c.device, sequenceNumber: c.sequenceNumber)
            ourMessages.append(message)
            openRequests.append(["secret": c.secretHex, "device": c.device, "message": Hex.encode(message)])
            sealRequests.append([
                "secret": c.secretHex, "device": c.device, "kid": Hex.encode(c.kid), "alg": c.algorithm.rawValue,
                "seq": c.sequenceNumber, "content_format": Int(c.contentFormat), "plaintext": Hex.encode(c.plaintext),
            ])
        }
        let reply = try PythonEnvironment.run(["open": openRequests, "seal": sealRequests])
        let opened = try #require(reply["open"] as? [[String: Any]])
        let sealed = try #require(reply["seal"] as? [[String: Any]])
        try #require(opened.count == cases.count && sealed.count == cases.count)

        var viaIVHeader = 0
        var skipped = 0
        for (index, c) in cases.enumerated() {
            // pycose opened our message.
            let result = opened[index]
            #expect(result["plaintext"] as? String == Hex.encode(c.plaintext))
            #expect(result["kid"] as? String == Hex.encode(c.kid))
            #expect((result["seq"] as? NSNumber)?.uint64Value == c.sequenceNumber)
            #expect((result["content_format"] as? NSNumber)?.intValue == Int(c.contentFormat))
            #expect((result["alg"] as? NSNumber)?.intValue == c.algorithm.rawValue)
            if result["nonce_from"] as? String == "iv-header" { viaIVHeader += 1 }

            // We open pycose's message, which is byte-identical to ours.
            if sealed[index]["skipped"] != nil {
                skipped += 1
                continue
            }
            let theirs = try Hex.decode(#require(sealed[index]["message"] as? String))
            #expect(theirs == ourMessages[index])
            let ring = KeyRing()
            try ring.add(c.secret.deriveKey(kid: c.kid, algorithm: c.algorithm), deviceID: c.device)
            let mine = try ring.openAndRecord(theirs, deviceID: c.device)
            #expect(mine.plaintext == c.plaintext)
            #expect(mine.sequenceNumber == c.sequenceNumber)
            #expect(mine.contentFormat == c.contentFormat)
        }
        // The zero-Base-IV case went through pycose with the full nonce, and was skipped for sealing.
        #expect(viaIVHeader >= 1)
        #expect(skipped >= 1 && skipped <= 3)
    }

    @Test("pycose's view of a tampered message: it refuses it too",
          .enabled(if: PythonEnvironment.shouldRun, "SECURECOAP_SKIP_PYTHON=1 and no venv: pycose cross-check skipped"))
    func tamperedRefused() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x01])
        var message = try key.seal(Array("reading".utf8), contentFormat: 112, deviceID: "dev-1", sequenceNumber: 9)
        let request: (([UInt8]) -> [String: Any]) = {
            ["open": [["secret": DeviceSecretTests.hex, "device": "dev-1", "message": Hex.encode($0)]]]
        }
        // The untampered message opens (so a failure below is pycose refusing, not a broken setup).
        let reply = try PythonEnvironment.run(request(message))
        #expect((reply["open"] as? [[String: Any]])?.first?["plaintext"] as? String == Hex.encode(Array("reading".utf8)))
        message[message.count - 1] ^= 1
        #expect {
            _ = try PythonEnvironment.run(request(message))
        } throws: {
            "\($0)".contains("pycose_crosscheck.py failed")
        }
    }
}
