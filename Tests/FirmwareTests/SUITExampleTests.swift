import CBOR
import Firmware
import Testing

/// The draft's Examples 0–5 (libcsuit's encoding): decoded, verified against their trust anchor,
/// re-encoded byte for byte, and any changed byte refused.
@Suite("SUIT examples (draft-ietf-suit-manifest, libcsuit)")
struct SUITExampleTests {
    @Test("every example decodes, its digest matches and its signature verifies with the trust anchor", arguments: Fixtures.examples)
    func verifies(_ name: String) throws {
        let envelope = try SUITEnvelope(decoding: Fixtures.example(name))
        let signer = try envelope.verify(trustAnchors: [Fixtures.trustAnchor()])
        #expect(signer == (try Fixtures.trustAnchor()))
        #expect(try envelope.signatures.first?.algorithm() == .esp256)
        let expected: [String: UInt64] = ["exp0": 0, "exp1": 1, "exp2A": 2, "exp2B": 2, "exp3": 3, "exp4": 4, "exp5": 5]
        #expect(envelope.manifest.sequenceNumber == expected[name])
        #expect(envelope.manifest.common.components.first == FirmwareRelease.component || name == "exp5" || name == "exp4")
    }

    @Test("a manifest re-encoded is the same bytes (the encoder is what the examples were made with)", arguments: Fixtures.examples)
    func reencodes(_ name: String) throws {
        let envelope = try SUITEnvelope(decoding: Fixtures.example(name))
        #expect(try SUITManifest(decoding: envelope.encodedManifest).encoded() == envelope.encodedManifest)
    }

    @Test("Example 1 is an update a node can carry out: its release has the URI, digest and size")
    func exampleOneIsARelease() throws {
        let release = try FirmwareRelease(manifest: SUITEnvelope(decoding: Fixtures.example("exp1")).manifest)
        #expect(release.uri == "http://example.com/file.bin")
        #expect(release.imageSize == 34768)
        #expect(release.imageDigest.description == "sha-256:00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210")
        #expect(release.vendorID == [0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe])
        #expect(release.sequenceNumber == 1)
    }

    @Test("Example 2B carries its severed install and text: both are checked against the manifest's digests and put back")
    func severedMembersResolved() throws {
        let full = try SUITEnvelope(decoding: Fixtures.example("exp2B"))
        let release = try FirmwareRelease(manifest: full.manifest)
        #expect(release.uri == "http://example.com/very/long/path/to/file/file.bin")
        let text = try #require(full.manifest.text?.value)
        #expect(text.languages["en-US"]?.components[FirmwareRelease.component]?[.vendorDomain] == "arm.com")

        // Example 2A is the same manifest without them: the install sequence is not there to run.
        let severed = try SUITEnvelope(decoding: Fixtures.example("exp2A"))
        #expect(severed.encodedManifest == full.encodedManifest)
        #expect(throws: SUITError.self) { try FirmwareRelease(manifest: severed.manifest) }
    }

    @Test("a node refuses what it cannot carry out: secure boot only (0), try-each (3), copy (4), two images (5)")
    func unsupportedExamples() throws {
        for name in ["exp0", "exp3", "exp4", "exp5"] {
            let error = #expect(throws: SUITError.self) { try FirmwareRelease(manifest: SUITEnvelope(decoding: Fixtures.example(name)).manifest) }
            #expect(error?.code == .unsupported, "\(name): \(String(describing: error))")
        }
    }

    @Test("every byte of Example 1 changed (+1) is refused: malformed, digest mismatch, or a signature that does not verify")
    func everyChangedByteRefused() throws {
        let original = try Fixtures.example("exp1")
        let anchor = try Fixtures.trustAnchor()
        var accepted: [Int] = []
        for index in original.indices {
            var changed = original
            changed[index] &+= 1
            if (try? SUITEnvelope(decoding: changed).verify(trustAnchors: [anchor])) != nil { accepted.append(index) }
        }
        #expect(accepted.isEmpty, "accepted with a byte changed at \(accepted)")
    }

    @Test("another key is not the trust anchor: badSignature")
    func otherAnchorRefused() throws {
        let other = try FirmwareSigningKey(generating: .p256).trustAnchor()
        let error = #expect(throws: SUITError.self) { try SUITEnvelope(decoding: Fixtures.example("exp1")).verify(trustAnchors: [other]) }
        #expect(error?.code == .badSignature)
    }
}
