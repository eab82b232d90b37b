import CBOR
import LibCrypto
import Sealing
import Testing
import TestSupport

/// Our signature verification against the COSE WG Sign1 examples; we build the Sig_structure
/// (RFC 9052 §4.4) ourselves.
@Suite("COSE Sign1 vectors")
struct COSESign1VectorTests {
    struct Parsed {
        var toBeSigned: [UInt8]
        var signature: [UInt8]
        var key: [String: Any]
    }

    func parse(_ name: String) throws -> Parsed {
        let fixture = try TestSupport.fixture(name)
        let message = try CBOR(decoding: Hex.decode(fixture.object("output").string("cbor")))
        let (tag, body) = try #require(message.taggedValue)
        #expect(tag == 18)
        let items = try #require(body.arrayValue)
        try #require(items.count == 4)
        let protected = try #require(items[0].bytesValue)
        let payload = try #require(items[2].bytesValue)
        let signature = try #require(items[3].bytesValue)
        let sign0 = try fixture.object("input").object("sign0")
        #expect(payload == Array(try fixture.object("input").string("plaintext").utf8))

        // Sig_structure = ["Signature1", body_protected, external_aad, payload]
        var writer = CBORWriter()
        writer.writeArrayHeader(count: 4)
        writer.writeTextString("Signature1")
        writer.writeByteString(protected)
        writer.writeByteString([UInt8]())
        writer.writeByteString(payload)
        let expected = try Hex.decode(fixture.object("intermediates").string("ToBeSign_hex"))
        #expect(writer.bytes == expected)
        return Parsed(toBeSigned: writer.bytes, signature: signature, key: try sign0.object("key"))
    }

    @Test("ecdsa-sig-01 (ES256) verifies; altered data or signature does not")
    func ecdsa() throws {
        let vector = try parse("ecdsa-sig-01")
        let x = try TestSupport.base64URL(vector.key.string("x"))
        let y = try TestSupport.base64URL(vector.key.string("y"))
        let publicKey = try P256VerifyingKey(x963Representation: [0x04] + x + y)
        let signature = try ECDSASignature(rawRepresentation: vector.signature)
        #expect(publicKey.isValidSignature(signature, for: vector.toBeSigned))
        #expect(publicKey.isValidSignature(derRepresentation: try signature.derRepresentation(), for: vector.toBeSigned))
        var data = vector.toBeSigned
        data[data.count - 1] ^= 1
        #expect(!publicKey.isValidSignature(signature, for: data))
        var raw = vector.signature
        raw[0] ^= 1
        #expect(!publicKey.isValidSignature(try ECDSASignature(rawRepresentation: raw), for: vector.toBeSigned))
    }

    @Test("eddsa-sig-01 (Ed25519) verifies, and our signature with their key is identical")
    func eddsa() throws {
        let vector = try parse("eddsa-sig-01")
        let publicKey = try Ed25519VerifyingKey(rawRepresentation: Hex.decode(vector.key.string("x_hex")))
        #expect(publicKey.isValidSignature(vector.signature, for: vector.toBeSigned))
        var data = vector.toBeSigned
        data[0] ^= 1
        #expect(!publicKey.isValidSignature(vector.signature, for: data))
        let privateKey = try Ed25519SigningKey(rawRepresentation: SecureBytes(Hex.decode(vector.key.string("d_hex"))))
        #expect(try privateKey.signature(for: vector.toBeSigned) == vector.signature)
    }
}
