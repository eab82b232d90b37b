import LibCrypto
import Testing

@Suite("HMACSHA256")
struct HMACSHA256Tests {
    @Test("RFC 4231 test case 2")
    func rfc4231Case2() throws {
        let mac = try HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("RFC 4231 test case 1, with a SecureBytes key, and constant-time verification")
    func rfc4231Case1() throws {
        let key = SecureBytes([UInt8](repeating: 0x0b, count: 20))
        let data = Array("Hi There".utf8)
        let mac = try HMACSHA256.authenticationCode(for: data, key: key)
        #expect(Hex.encode(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(try HMACSHA256.isValidAuthenticationCode(mac, for: data, key: key))
        var bad = mac
        bad[31] ^= 1
        #expect(try !HMACSHA256.isValidAuthenticationCode(bad, for: data, key: key))
        #expect(try !HMACSHA256.isValidAuthenticationCode(Array(mac.prefix(16)), for: data, key: key))
    }

    @Test("empty key and empty data are allowed")
    func empty() throws {
        let mac = try HMACSHA256.authenticationCode(for: [UInt8](), key: [UInt8]())
        #expect(Hex.encode(mac) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
