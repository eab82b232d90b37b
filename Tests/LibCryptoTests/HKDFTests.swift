import LibCrypto
import Testing

@Suite("HKDF")
struct HKDFTests {
    private func hex(_ bytes: SecureBytes) -> String { bytes.withUnsafeBytes { Hex.encode($0) } }

    @Test("RFC 5869 test case 1 (salt and info)")
    func case1() throws {
        let ikm = SecureBytes([UInt8](repeating: 0x0b, count: 22))
        let salt = try Hex.decode("000102030405060708090a0b0c")
        let info = try Hex.decode("f0f1f2f3f4f5f6f7f8f9")
        let prk = try HKDF.extract(salt: salt, inputKeyMaterial: ikm)
        #expect(hex(prk) == "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        let okm = try HKDF.expand(pseudoRandomKey: prk, info: info, outputLength: 42)
        let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        #expect(hex(okm) == expected)
        #expect(hex(try HKDF.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, outputLength: 42)) == expected)
    }

    @Test("RFC 5869 test case 3 (empty salt, empty info)")
    func case3() throws {
        let ikm = SecureBytes([UInt8](repeating: 0x0b, count: 22))
        let prk = try HKDF.extract(inputKeyMaterial: ikm)
        #expect(hex(prk) == "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
        let okm = try HKDF.deriveKey(inputKeyMaterial: ikm, info: [], outputLength: 42)
        #expect(hex(okm) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("output length bounds")
    func bounds() throws {
        let ikm = SecureBytes([UInt8](repeating: 1, count: 32))
        #expect(throws: CryptoError.self) { try HKDF.deriveKey(inputKeyMaterial: ikm, info: [], outputLength: 0) }
        #expect(throws: CryptoError.self) { try HKDF.deriveKey(inputKeyMaterial: ikm, info: [], outputLength: 255 * 32 + 1) }
        #expect(try HKDF.deriveKey(inputKeyMaterial: ikm, info: [], outputLength: 255 * 32).count == 255 * 32)
    }
}
