import CBOR
import LibCrypto
import Sealing
import Testing
import TestSupport

@Suite("SealedPayload")
struct SealedPayloadTests {
    @Test("every single-bit flip anywhere in a sealed message is refused", arguments: SealingAlgorithm.allCases)
    func bitFlips(algorithm: SealingAlgorithm) throws {
        let secret = try TestSupport.randomSecret()
        let key = try secret.deriveKey(kid: [0x4b, 0x49, 0x44], algorithm: algorithm)
        let plaintext = Array("temperature=21.5;very-secret-reading".utf8)
        let message = try key.seal(plaintext, contentFormat: 112, deviceID: "dev-1", sequenceNumber: 300)
        let ring = KeyRing()
        try ring.add(key, deviceID: "dev-1")
        let plaintextHex = Hex.encode(plaintext)
        let keyHex = key.key.withUnsafeBytes { Hex.encode($0) }
        var codes = Set<String>()
        for byte in message.indices {
            for bit in 0..<8 {
                var flipped = message
                flipped[byte] ^= 1 << UInt8(bit)
                for attempt in 0..<2 {
                    do {
                        if attempt == 0 {
                            _ = try ring.open(flipped, deviceID: "dev-1")
                        } else {
                            _ = try secret.open(flipped, deviceID: "dev-1")
                        }
                        Issue.record("flip of bit \(bit) in byte \(byte) was accepted")
                    } catch let error as SealingError {
                        codes.insert(error.code.name)
                        #expect(!error.description.contains(plaintextHex))
                        #expect(!error.description.contains("very-secret"))
                        #expect(!error.description.contains(keyHex))
                    }
                }
            }
        }
        #expect(codes.contains("authenticationFailed"))
        #expect(codes.contains("malformed"))
        // The untouched message still opens.
        #expect(try ring.open(message, deviceID: "dev-1").plaintext == plaintext)
    }

    @Test("strict structure: headers, Partial IV form, algorithm")
    func strictParsing() throws {
        func build(protected: CBOR, unprotected: CBOR, ciphertext: [UInt8] = [UInt8](repeating: 0, count: 16), tag: UInt64 = 16) -> [UInt8] {
            CBOR.tagged(tag, [.byteString(protected.encoded()), unprotected, .byteString(ciphertext)]).encoded()
        }
        let good: CBOR = [4: .byteString([1]), 6: .byteString([5])]
        func code(_ message: [UInt8]) -> String? {
            do { _ = try SealedPayload(parsing: message); return nil } catch let e as SealingError { return e.code.name } catch { return "other" }
        }
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: good)) == nil)
        #expect(code(build(protected: [3: 0, 1: 10], unprotected: [6: .byteString([5]), 4: .byteString([1])])) == nil)
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: good, tag: 17)) == "malformed")
        #expect(code(build(protected: [1: 10], unprotected: good)) == "malformed")
        #expect(code(build(protected: [3: 0], unprotected: good)) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 70000], unprotected: good)) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0, 2: [1]], unprotected: good)) == "malformed")
        #expect(code(build(protected: [1: 11, 3: 0], unprotected: good)) == "unsupportedAlgorithm")
        #expect(code(build(protected: [1: -7, 3: 0], unprotected: good)) == "unsupportedAlgorithm")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([1])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [6: .byteString([1])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([1]), 6: .byteString([5]), 5: .byteString([0])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([]), 6: .byteString([5])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([1]), 6: .byteString([])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([1]), 6: .byteString([0, 5])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: [4: .byteString([1]), 6: .byteString([1, 2, 3, 4, 5, 6])])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: good, ciphertext: [1, 2, 3])) == "malformed")
        #expect(code(build(protected: [1: 10, 3: 0], unprotected: good) + [0]) == "malformed")
        #expect(code([]) == "malformed")
        #expect(code([0xd0, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) == "malformed")
        // Protected headers in other valid encodings parse to the same values as the deterministic one.
        let nonMinimal = CBOR.tagged(16, [.byteString([0xa2, 0x01, 0x0a, 0x03, 0x19, 0x00, 0x05]), good,
                                          .byteString([UInt8](repeating: 0, count: 16))]).encoded()
        #expect(try SealedPayload(parsing: nonMinimal).contentFormat == 5)
        let reordered = CBOR.tagged(16, [.byteString([0xa2, 0x03, 0x19, 0xff, 0xfe, 0x01, 0x03]), good,
                                         .byteString([UInt8](repeating: 0, count: 16))]).encoded()
        let parsedReordered = try SealedPayload(parsing: reordered)
        #expect(parsedReordered.contentFormat == 65534 && parsedReordered.algorithm == .a256GCM)
        let parsed = try SealedPayload(parsing: build(protected: [1: 1, 3: 112], unprotected: [4: .byteString([0xab, 0xcd]), 6: .byteString([1, 0])]))
        #expect(parsed.algorithm == .a128GCM)
        #expect(parsed.contentFormat == 112)
        #expect(parsed.kid == [0xab, 0xcd])
        #expect(parsed.kidHex == "abcd")
        #expect(parsed.sequenceNumber == 256)
    }
}
