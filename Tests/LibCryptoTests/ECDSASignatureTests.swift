import LibCrypto
import Testing

@Suite("ECDSASignature")
struct ECDSASignatureTests {
    @Test("raw r||s and DER convert both ways, and DER verifies directly")
    func conversions() throws {
        let key = try P256SigningKey()
        let data: [UInt8] = Array("x".utf8)
        let signature = try key.signature(for: data)
        let der = try signature.derRepresentation()
        #expect(der.first == 0x30)
        #expect(try ECDSASignature(derRepresentation: der) == signature)
        #expect(try key.publicKey().isValidSignature(derRepresentation: der, for: data))
    }

    @Test("small r and s keep their leading zeros in raw form")
    func padding() throws {
        // r = 1, s = 2 in DER: SEQUENCE { INTEGER 1, INTEGER 2 }
        let signature = try ECDSASignature(derRepresentation: [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02])
        #expect(signature.rawRepresentation == [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0, count: 31) + [2])
        #expect(try signature.derRepresentation() == [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02])
    }

    @Test("malformed inputs are refused")
    func malformed() {
        #expect(throws: CryptoError.self) { try ECDSASignature(rawRepresentation: [UInt8](repeating: 1, count: 63)) }
        #expect(throws: CryptoError.self) { try ECDSASignature(derRepresentation: [0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: CryptoError.self) { try ECDSASignature(derRepresentation: []) }
    }
}
