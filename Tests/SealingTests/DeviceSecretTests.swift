import Foundation
import LibCrypto
import Sealing
import Testing
import TestSupport

@Suite("DeviceSecret")
struct DeviceSecretTests {
    static let hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    @Test("the file format: 64 hex digits, optional newline, either case")
    func parsing() throws {
        for text in [Self.hex, Self.hex + "\n", Self.hex + "\r\n", Self.hex.uppercased() + "\n"] {
            let secret = try DeviceSecret(hexString: text)
            #expect(secret.bytes == TestSupport.countingSecret.bytes)
        }
        #expect(TestSupport.countingSecret.fileRepresentation() == Self.hex + "\n")
    }

    @Test("wrong length and non-hex characters give clear errors without echoing the text")
    func errors() throws {
        let cases: [(String, String)] = [
            (String(Self.hex.dropLast()), "found 63 characters"),
            (Self.hex + "00", "found 66 characters"),
            (Self.hex + "\n\n", "found 65 characters"),
            (Self.hex + "\r", "found 65 characters"),
            ("", "found 0 characters"),
            (String(Self.hex.dropLast()) + "g", "position 64"),
            (" " + String(Self.hex.dropFirst()), "position 1"),
        ]
        for (text, fragment) in cases {
            do {
                _ = try DeviceSecret(hexString: text)
                Issue.record("accepted \(text.count) characters")
            } catch let error as SealingError {
                #expect(error.code == .invalidKeyMaterial)
                #expect(error.message.contains(fragment), "\(error.message)")
                #expect(!error.message.contains("0102030405"))
            }
        }
        #expect(throws: SealingError.self) { try DeviceSecret(bytes: SecureBytes([1, 2, 3])) }
    }

    @Test("reads secret files; a missing or oversized file is a storage error")
    func files() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("secret.hex")
        try (Self.hex + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try DeviceSecret(contentsOfFile: path).bytes == TestSupport.countingSecret.bytes)
        #expect { try DeviceSecret(contentsOfFile: path + ".missing") } throws: {
            ($0 as? SealingError)?.code == .storageFailure
        }
        let big = directory.file("big")
        try String(repeating: "a", count: 5000).write(toFile: big, atomically: true, encoding: .utf8)
        #expect(throws: SealingError.self) { try DeviceSecret(contentsOfFile: big) }
    }

    @Test("key derivation matches an independent implementation (Python cryptography + cbor2)")
    func knownAnswers() throws {
        let cases: [([UInt8], SealingAlgorithm, String, String)] = [
            ([0x01], .aesCCM16_64_128, "f3785c9bb5e228934885feafe027cd72", "3419d29e7aca79f6c76c29b4cc"),
            ([0x0a, 0x0b], .a256GCM, "996feb241e8c042978224217414b5f322cd3dadcc70393d285b1a99dd8cb07d9", "ffe52881d344c7bd1d20e7f9"),
            ([0x01], .a128GCM, "0535eda4450f5ca4f59f3973b3bf0766", "e56ef297e3764600941a75e8"),
        ]
        for (kid, algorithm, key, iv) in cases {
            let derived = try TestSupport.countingSecret.deriveKey(kid: kid, algorithm: algorithm)
            #expect(derived.key.withUnsafeBytes { Hex.encode($0) } == key)
            #expect(derived.baseIV.withUnsafeBytes { Hex.encode($0) } == iv)
            #expect(derived.kid == kid)
            #expect(derived.algorithm == algorithm)
        }
    }

    @Test("descriptions never show secret material")
    func redaction() throws {
        let secret = TestSupport.countingSecret
        let key = try secret.deriveKey(kid: [0x01])
        #expect(secret.description == "DeviceSecret(redacted)")
        #expect("\(key)" == "SealingKey(kid: 01, alg: 10)")
        #expect(!"\(key.key)".contains("f378"))
    }

    @Test("kids must be 1 to 64 bytes")
    func kidLength() throws {
        #expect(throws: SealingError.self) { try TestSupport.countingSecret.deriveKey(kid: []) }
        #expect(throws: SealingError.self) { try TestSupport.countingSecret.deriveKey(kid: [UInt8](repeating: 1, count: 65)) }
        _ = try TestSupport.countingSecret.deriveKey(kid: [UInt8](repeating: 1, count: 64))
    }
}
