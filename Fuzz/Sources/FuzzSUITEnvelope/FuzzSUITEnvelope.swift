import Firmware
import FuzzSupport

// SUIT envelopes (Sources/Firmware): what a node downloads from a gateway and the registry reads
// from an admin. Beyond "no crash", each input checks:
// - a decoded envelope keeps its bytes exactly, and no signature by a key it was not signed
//   with verifies (the fuzzer cannot forge one: a verify that passes is a bug);
// - the manifest as signed re-encodes to a manifest that decodes to the same value;
// - reading a release out of it either fails with a SUITError or gives a release whose own
//   manifest reads back as the same release.

/// A key no input is signed with.
let stranger = try! FirmwareSigningKey(generating: .p256).trustAnchor()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let envelope: SUITEnvelope
    do {
        envelope = try SUITEnvelope(decoding: input)
    } catch is SUITError {
        return 0
    } catch {
        unexpected(error, "decoding threw something other than SUITError")
    }
    invariant(envelope.encoded == input, "the envelope does not keep its bytes")
    invariant((try? envelope.verify(trustAnchors: [stranger])) == nil, "a signature verified with a key nobody signed with")

    let signed: SUITManifest
    do { signed = try SUITManifest(decoding: envelope.encodedManifest) } catch { unexpected(error, "the manifest decoded in the envelope does not decode alone") }
    let reread: SUITManifest
    do { reread = try SUITManifest(decoding: signed.encoded()) } catch { unexpected(error, "the encoding of a decoded manifest does not decode") }
    invariant(reread == signed, "encode → decode changed the manifest")

    if let release = try? FirmwareRelease(manifest: envelope.manifest) {
        let again: FirmwareRelease
        do { again = try FirmwareRelease(manifest: release.manifest) } catch { unexpected(error, "a release's own manifest is refused") }
        invariant(again == release, "a release's own manifest reads back differently")
    }
    return 0
}
