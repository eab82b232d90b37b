import Firmware
import Foundation
import FuzzSupport

// Seeds: the draft's Examples 0–5 (the test fixtures), and envelopes signed here, with and
// without severed members, by a key made for the run (no key is committed; the signed seeds
// differ on each regeneration only in the signature).

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested { SeedExport.binary("suit", try seeds()) }
    return 0
}

func seeds() throws -> [[UInt8]] {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Tests/FirmwareTests/Fixtures/suit-libcsuit").standardized
    let examples = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".suit") }.sorted()
        .map { Array(try Data(contentsOf: fixtures.appendingPathComponent($0))) }
    let key = try FirmwareSigningKey(generating: .ed25519)
    let release = FirmwareRelease(
        sequenceNumber: 2, vendorID: Array(repeating: 1, count: 16), classID: Array(repeating: 2, count: 16),
        imageDigest: try SUITDigest.sha256(of: [1, 2, 3]), imageSize: 3, uri: "coaps://gw/fw/1", version: "1.0.1")
    return examples + [
        try SUITEnvelope.sign(release.manifest, with: key).encoded,
        try SUITEnvelope.sign(release.manifest, with: key, severing: [.install, .text]).encoded,
    ]
}
