import CBOR
import Firmware
import Testing

/// Envelopes this stack signs: what a node accepts, and each way one is refused.
@Suite("SUIT envelopes signed here")
struct SUITEnvelopeTests {
    static let image: [UInt8] = Array((0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) })

    static func release(sequence: UInt64 = 3) throws -> FirmwareRelease {
        FirmwareRelease(
            sequenceNumber: sequence, vendorID: Array(repeating: 0xAA, count: 16), classID: Array(repeating: 0xBB, count: 16),
            imageDigest: try SUITDigest.sha256(of: image), imageSize: UInt64(image.count), uri: "coaps://gateway/fw/1", version: "1.2.0")
    }

    @Test("signed with P-256 (ES256) and Ed25519 (EdDSA): verifies with its own anchor, the release reads back the same", arguments: FirmwareKeyKind.allCases)
    func signAndVerify(_ kind: FirmwareKeyKind) throws {
        let key = try FirmwareSigningKey(generating: kind)
        let release = try Self.release()
        let envelope = try SUITEnvelope.sign(release.manifest, with: key)
        let decoded = try SUITEnvelope(decoding: envelope.encoded)
        #expect(try decoded.verify(trustAnchors: [FirmwareSigningKey(generating: kind).trustAnchor(), key.trustAnchor()]) == key.trustAnchor())
        #expect(try decoded.signatures.first?.algorithm() == (kind == .p256 ? .es256 : .edDSA))
        #expect(try FirmwareRelease(manifest: decoded.manifest) == release)
        #expect(decoded.encoded.prefix(2) == [0xD8, 0x6B])  // tag 107
    }

    @Test("the signing key survives PEM; its public half is the anchor, by fingerprint")
    func keyPEM() throws {
        for kind in FirmwareKeyKind.allCases {
            let key = try FirmwareSigningKey(generating: kind)
            let reread = try FirmwareSigningKey(pemRepresentation: key.exportPEM())
            #expect(reread.kind == kind)
            #expect(try reread.trustAnchor() == key.trustAnchor())
            let anchor = try SUITTrustAnchor(pemRepresentation: key.trustAnchor().pemRepresentation)
            #expect(anchor.fingerprint.count == 64)
            #expect(!String(describing: key).contains("BEGIN"))
        }
        #expect(throws: SUITError.self) { try SUITTrustAnchor(pemRepresentation: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
    }

    @Test("severed install and text travel in the envelope and are checked")
    func severed() throws {
        let key = try FirmwareSigningKey(generating: .ed25519)
        let release = try Self.release()
        let envelope = try SUITEnvelope.sign(release.manifest, with: key, severing: [.install, .text])
        let decoded = try SUITEnvelope(decoding: envelope.encoded)
        try decoded.verify(trustAnchors: [key.trustAnchor()])
        #expect(try FirmwareRelease(manifest: decoded.manifest) == release)
        let signed = try SUITManifest(decoding: decoded.encodedManifest)
        guard case .severed = signed.install else {
            Issue.record("install is not severed in the signed manifest")
            return
        }
    }

    @Test("an envelope with a digest and no signature is unsigned")
    func unsigned() throws {
        let manifest = try Self.release().manifest.encoded()
        var member = CBORWriter()
        member.writeByteString(manifest)
        let digest = try SUITDigest.sha256(of: member.bytes)
        let envelope = CBOR.tagged(107, [2: .byteString(CBOR.array([.byteString(digest.cbor.encoded())]).encoded()), 3: .byteString(manifest)])
        let error = #expect(throws: SUITError.self) {
            try SUITEnvelope(decoding: envelope.encoded()).verify(trustAnchors: [FirmwareSigningKey(generating: .p256).trustAnchor()])
        }
        #expect(error?.code == .unsigned)
    }

    /// Builds a signed envelope around a manifest map given as CBOR.
    static func signedEnvelope(manifest: CBOR) throws -> [UInt8] {
        let key = try FirmwareSigningKey(generating: .p256)
        // Sign a valid manifest, then swap in the one under test with a fresh digest: decoding
        // must fail on the manifest's content, before any signature is looked at.
        let encoded = manifest.encoded()
        var member = CBORWriter()
        member.writeByteString(encoded)
        let digest = try SUITDigest.sha256(of: member.bytes)
        let valid = try SUITEnvelope.sign(release().manifest, with: key)
        let wrapper = CBOR.array([.byteString(digest.cbor.encoded()), .byteString(valid.signatures[0].cbor.encoded())]).encoded()
        return CBOR.tagged(107, [2: .byteString(wrapper), 3: .byteString(encoded)]).encoded()
    }

    static func manifest(shared: [CBOR], version: Int64 = 1) -> CBOR {
        let common: CBOR = [2: [[.byteString([0])]], 4: .byteString(CBOR.array(shared).encoded())]
        return [1: .int(version), 2: 1, 3: .byteString(common.encoded())]
    }

    @Test("a command, a parameter or a manifest version not implemented is an unsupported error naming it")
    func unsupportedParts() throws {
        let cases: [(CBOR, String)] = [
            (Self.manifest(shared: [99, 15]), "command 99"),
            (Self.manifest(shared: [20, [77: 1]]), "parameter 77"),
            (Self.manifest(shared: [1, 15], version: 2), "manifest-version 2"),
            (Self.manifest(shared: [20, [3: .byteString(CBOR.array([-43, .byteString([UInt8](repeating: 0, count: 48))]).encoded())]]), "digest algorithm -43"),
        ]
        for (manifest, named) in cases {
            let error = #expect(throws: SUITError.self) { try SUITEnvelope(decoding: Self.signedEnvelope(manifest: manifest)) }
            #expect(error?.code == .unsupported)
            #expect(error?.message.contains(named) == true, "\(String(describing: error))")
        }
    }

    @Test("malformed shapes are malformed, never a crash: odd sequence, missing common, bad UUID, trailing bytes")
    func malformed() throws {
        let missingCommon: CBOR = [1: 1, 2: 1]
        let cases: [[UInt8]] = [
            try Self.signedEnvelope(manifest: Self.manifest(shared: [1])),
            try Self.signedEnvelope(manifest: missingCommon),
            try Self.signedEnvelope(manifest: Self.manifest(shared: [20, [1: .byteString([1, 2, 3])]])),
            try Self.signedEnvelope(manifest: Self.manifest(shared: [1, 15])) + [0x00],
            [0xD8, 0x6B, 0xA0],
            [0xD8, 0x6C, 0xA0],
            [],
        ]
        for bytes in cases {
            let error = #expect(throws: SUITError.self) { try SUITEnvelope(decoding: bytes) }
            #expect(error?.code == .malformed || error?.code == .unsigned, "\(String(describing: error))")
        }
    }

    @Test("a manifest without the vendor or class check, or without image-match, is not a release")
    func incompleteRelease() throws {
        var release = try Self.release().manifest
        release.validate = nil
        #expect(throws: Never.self) { try FirmwareRelease(manifest: release) }  // install still checks image-match
        if var install = release.install?.value {
            install.commands.removeLast()
            release.install = .present(install)
        }
        let noMatch = #expect(throws: SUITError.self) { try FirmwareRelease(manifest: release) }
        #expect(noMatch?.message.contains("image-match") == true)
        release = try Self.release().manifest
        release.common.sharedSequence?.commands.removeLast()
        #expect(throws: SUITError.self) { try FirmwareRelease(manifest: release) }
    }
}
