import CBOR
import LibCrypto
import Sealing
import Testing
import TestSupport

@Suite("COSEEncrypt0")
struct COSEEncrypt0Tests {
    /// COSE algorithm names in the examples → (COSE id, AEAD).
    static let algorithms: [String: (Int64, AEADAlgorithm)] = [
        "AES-CCM-16-128/64": (10, .aes128CCM8),
        "AES-CCM-16-256/64": (11, .aes256CCM8),
        "A128GCM": (1, .aes128GCM),
        "A256GCM": (3, .aes256GCM),
    ]

    @Test("COSE WG Encrypt0 examples reproduced byte for byte, with their AAD, and opened back",
          arguments: ["aes-ccm-enc-01", "aes-gcm-enc-01", "enc-pass-02", "aes-gcm-enc-03", "aes-ccm-enc-05"])
    func vector(name: String) throws {
        let fixture = try TestSupport.fixture(name)
        let input = try fixture.object("input")
        let encrypted = try input.object("encrypted")
        let algorithmName = try encrypted.object("protected").string("alg")
        let (algorithmID, aead) = try #require(Self.algorithms[algorithmName])
        let recipients = try #require(encrypted["recipients"] as? [[String: Any]])
        let key = try TestSupport.base64URL(recipients[0].object("key").string("k"))
        let iv = try Hex.decode(#require((input["rng_stream"] as? [String])?.first))
        let plaintext = Array(try input.string("plaintext").utf8)
        let external = try Hex.decode((encrypted["external"] as? String) ?? "")
        let intermediates = try fixture.object("intermediates")
        let expected = try Hex.decode(fixture.object("output").string("cbor"))

        #expect(Hex.encode(key) == (try intermediates.string("CEK_hex")).lowercased())
        let protected: CBOR = [1: .int(algorithmID)]
        let message = try COSEEncrypt0.seal(
            plaintext, protectedHeader: protected, unprotectedHeader: [5: .byteString(iv)],
            algorithm: aead, key: SecureBytes(key), nonce: iv, externalAAD: external
        )
        let aad = COSEEncrypt0.encStructure(protectedHeader: message.protectedHeader, externalAAD: external)
        #expect(Hex.encode(aad) == (try intermediates.string("AAD_hex")).lowercased())
        #expect(Hex.encode(message.encoded()) == Hex.encode(expected))

        let decoded = try COSEEncrypt0(decoding: expected)
        #expect(decoded == message)
        #expect(try decoded.decodedProtectedHeader()[1] == .int(algorithmID))
        #expect(decoded.unprotectedHeader[5]?.bytesValue == iv)
        #expect(try decoded.open(algorithm: aead, key: SecureBytes(key), nonce: iv, externalAAD: external) == plaintext)
        // Without the external AAD (or with a different one) it does not open.
        #expect { try decoded.open(algorithm: aead, key: SecureBytes(key), nonce: iv, externalAAD: external + [0]) } throws: {
            ($0 as? SealingError)?.code == .authenticationFailed
        }
    }

    @Test("nonce from Partial IV and Base IV (RFC 9052 §3.1)")
    func nonceConstruction() throws {
        let base: [UInt8] = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0]
        let nonce = try COSEEncrypt0.nonce(partialIV: [0x01, 0xff], baseIV: base)
        #expect(nonce == [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc1, 0x2f])
        #expect(throws: SealingError.self) { try COSEEncrypt0.nonce(partialIV: [UInt8](repeating: 1, count: 14), baseIV: base) }
    }

    @Test("untagged messages decode; wrong tags and shapes are malformed")
    func decoding() throws {
        let message = COSEEncrypt0(protectedHeader: [0xa1, 0x01, 0x01], unprotectedHeader: [:], ciphertext: [1, 2, 3])
        #expect(try COSEEncrypt0(decoding: message.encoded(tagged: false)) == message)
        let wrongTag = CBOR.tagged(17, [.byteString([]), [:], .byteString([])]).encoded()
        #expect { try COSEEncrypt0(decoding: wrongTag) } throws: { ($0 as? SealingError)?.code == .malformed }
        #expect { try COSEEncrypt0(decoding: [0x80]) } throws: { ($0 as? SealingError)?.code == .malformed }
        #expect { try COSEEncrypt0(decoding: [0xd0]) } throws: { ($0 as? SealingError)?.code == .malformed }
    }
}
