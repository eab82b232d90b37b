import LibCrypto
import Testing

@Suite("P256SigningKey")
struct P256SigningKeyTests {
    @Test("sign and verify; other data and other keys fail")
    func signVerify() throws {
        let key = try P256SigningKey()
        let publicKey = try key.publicKey()
        let data = Array("firmware image".utf8)
        let signature = try key.signature(for: data)
        #expect(signature.rawRepresentation.count == 64)
        #expect(publicKey.isValidSignature(signature, for: data))
        #expect(!publicKey.isValidSignature(signature, for: Array("firmware imagE".utf8)))
        #expect(try !P256SigningKey().publicKey().isValidSignature(signature, for: data))
        var raw = signature.rawRepresentation
        raw[10] ^= 1
        #expect(!publicKey.isValidSignature(try ECDSASignature(rawRepresentation: raw), for: data))
    }

    @Test("PEM round trips for private and public keys; description hides the key")
    func pem() throws {
        let key = try P256SigningKey()
        let pem = try key.exportPEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try P256SigningKey(pemRepresentation: pem)
        let data: [UInt8] = [1, 2, 3]
        let publicPEM = try key.publicKey().exportPEM()
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let publicKey = try P256VerifyingKey(pemRepresentation: publicPEM)
        #expect(publicKey.isValidSignature(try reloaded.signature(for: data), for: data))
        #expect(try reloaded.publicKey().x963Representation() == publicKey.x963Representation())
        #expect(key.description == "P256SigningKey(redacted)")
        #expect(!"\(key)".contains("BEGIN"))
    }

    @Test("x9.63 points round trip; bad points are refused")
    func x963() throws {
        let publicKey = try P256SigningKey().publicKey()
        let point = try publicKey.x963Representation()
        #expect(point.count == 65 && point[0] == 0x04)
        let again = try P256VerifyingKey(x963Representation: point)
        #expect(try again.exportPEM() == publicKey.exportPEM())
        var offCurve = point
        offCurve[64] ^= 1
        #expect(throws: CryptoError.self) { try P256VerifyingKey(x963Representation: offCurve) }
        #expect(throws: CryptoError.self) { try P256VerifyingKey(x963Representation: Array(point.prefix(33))) }
    }

    @Test("an Ed25519 PEM is refused as a P-256 key")
    func wrongType() throws {
        let ed = try Ed25519SigningKey()
        #expect { try P256SigningKey(pemRepresentation: ed.exportPEM()) } throws: {
            ($0 as? CryptoError)?.code == .invalidKey
        }
        #expect { try P256VerifyingKey(pemRepresentation: ed.publicKey().exportPEM()) } throws: {
            ($0 as? CryptoError)?.code == .invalidKey
        }
    }
}
