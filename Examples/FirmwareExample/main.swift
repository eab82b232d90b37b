// Signs a firmware release as a SUIT envelope, then checks it as a node would: the signature to
// its trust anchor, the manifest to what a single-image node can carry out, the image to the
// digest. Then the refusals: a changed byte, a signer that is not the anchor, a changed image.
import Firmware

let image = Array("firmware image v1.2.0 -- pretend this is 30 kB of code".utf8)
let admin = try FirmwareSigningKey(generating: .p256)
let anchor = try admin.trustAnchor()
print("signing key: \(admin.kind), trust anchor \(anchor)")

let release = FirmwareRelease(
    sequenceNumber: 7,
    vendorID: [0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe],
    classID: [0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45],
    imageDigest: try SUITDigest.sha256(of: image), imageSize: UInt64(image.count),
    uri: "coaps://gateway.example/fw/1.2.0", version: "1.2.0")
let envelope = try SUITEnvelope.sign(release.manifest, with: admin)
print("envelope: \(envelope.encoded.count) bytes (tag 107), manifest \(envelope.encodedManifest.count) bytes, \(try envelope.signatures[0].algorithm())")

// What a node does with the bytes it downloaded.
let received = try SUITEnvelope(decoding: envelope.encoded)
let signer = try received.verify(trustAnchors: [anchor])
let update = try FirmwareRelease(manifest: received.manifest)
print("verified: signed by \(signer); sequence \(update.sequenceNumber), version \(update.version ?? "?"), \(update.imageSize) bytes from \(update.uri ?? "?")")
print("image digest matches: \(update.imageDigest.matches(image))")

func refusal(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "accepted"
    } catch let error as SUITError {
        return "refused, \(error.code)"
    } catch {
        return "refused, \(error)"
    }
}

var tampered = envelope.encoded
tampered[tampered.count - 3] ^= 0x01
print("one bit flipped:     \(refusal { try SUITEnvelope(decoding: tampered).verify(trustAnchors: [anchor]) })")
let stranger = try FirmwareSigningKey(generating: .ed25519)
let forged = try SUITEnvelope.sign(release.manifest, with: stranger)
print("signed by another key: \(refusal { try SUITEnvelope(decoding: forged.encoded).verify(trustAnchors: [anchor]) })")
print("a changed image matches the digest: \(update.imageDigest.matches(image.dropLast() + [0x21]))")
