import LibCrypto
import Sealing
import Testing
import TestSupport

/// The worked example of docs/sealed-format.md: the page is normative, so its bytes are the
/// stack's bytes. If this fails, either the format changed (and the page must say so) or the
/// stack broke it.
@Suite("docs/sealed-format.md, the worked example")
struct SealedFormatExampleTests {
    static let plaintext = "81a4006474656d70016343656c02f94d6021676e6f64652d312f"
    static let sealed = "d08346a2010a031870a204410106410558229cd34ca569c303994fa4155de568234ae9a5ed8bb13d117461530d678f9e49f225a8"

    @Test func sealingTheExampleGivesTheBytesOnThePage() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x01], algorithm: .aesCCM16_64_128)
        let message = try key.seal(try Hex.decode(Self.plaintext), contentFormat: 112, deviceID: "node-1", sequenceNumber: 5)
        #expect(Hex.encode(message) == Self.sealed)
    }

    @Test func theExampleOpensForItsDeviceOnly() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x01], algorithm: .aesCCM16_64_128)
        let payload = try SealedPayload(parsing: try Hex.decode(Self.sealed))
        #expect(payload.sequenceNumber == 5)
        #expect(payload.contentFormat == 112)
        #expect(Hex.encode(try key.open(payload, deviceID: "node-1").plaintext) == Self.plaintext)
        #expect(throws: SealingError.self) { try key.open(payload, deviceID: "node-2") }
    }
}
