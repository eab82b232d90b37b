import LibCrypto
import Testing

@Suite("Ed25519SigningKey")
struct Ed25519SigningKeyTests {
    @Test("RFC 8032 test 1: raw keys and deterministic signature")
    func rfc8032Test1() throws {
        let seed = SecureBytes(try Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try Ed25519SigningKey(rawRepresentation: seed)
        let publicKey = try key.publicKey()
        #expect(Hex.encode(try publicKey.rawRepresentation()) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.signature(for: [UInt8]())
        #expect(Hex.encode(signature) ==
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        let raw = try Ed25519VerifyingKey(rawRepresentation: publicKey.rawRepresentation())
        #expect(raw.isValidSignature(signature, for: []))
        #expect(!raw.isValidSignature(signature, for: [0]))
        #expect(!raw.isValidSignature(Array(signature.prefix(63)), for: []))
    }

    @Test("generate, sign, PEM round trip")
    func pem() throws {
        let key = try Ed25519SigningKey()
        let reloaded = try Ed25519SigningKey(pemRepresentation: key.exportPEM())
        let publicKey = try Ed25519VerifyingKey(pemRepresentation: key.publicKey().exportPEM())
        let data = Array("hello".utf8)
        #expect(publicKey.isValidSignature(try reloaded.signature(for: data), for: data))
        #expect(try reloaded.signature(for: data) == key.signature(for: data))
        #expect(key.description == "Ed25519SigningKey(redacted)")
        #expect(throws: CryptoError.self) { try Ed25519VerifyingKey(rawRepresentation: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try Ed25519SigningKey(pemRepresentation: P256SigningKey().exportPEM()) }
    }
}
