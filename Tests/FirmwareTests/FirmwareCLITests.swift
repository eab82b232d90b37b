import Firmware
import Foundation
import Testing
import TestSupport

/// `coap-firmware` as an admin runs it: files, exit statuses, what `inspect` prints.
@Suite("coap-firmware CLI", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct FirmwareCLITests {
    static func run(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.product("coap-firmware"), arguments, timeout: 60)
    }

    static let vendor = "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe", deviceClass = "1492af14-2569-5e48-bf42-9b2d51f2ab45"

    @Test("keygen, sign, inspect: a 0600 key, an envelope that verifies with the public key and not with another", arguments: ["p256", "ed25519"])
    func keygenSignInspect(_ kind: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = directory.file("fw.key"), pub = directory.file("fw.pub"), image = directory.file("image.bin"), envelope = directory.file("v1.suit")
        let keygen = try await Self.run(["keygen", "--kind", kind, "--out", key, "--public-out", pub])
        #expect(keygen.status == 0, "\(keygen)")
        let mode = try #require(FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(try await Self.run(["keygen", "--out", key]).status == 1)  // never overwrites a key

        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0) }).write(to: URL(fileURLWithPath: image))
        let sign = try await Self.run([
            "sign", "--key", key, "--image", image, "--version", "1.1.0", "--sequence", "4", "--vendor-id", Self.vendor,
            "--class-id", Self.deviceClass, "--uri", "coaps://gateway/fw/1.1.0", "--out", envelope,
        ])
        #expect(sign.status == 0, "\(sign)")

        let verified = try await Self.run(["inspect", envelope, "--trust-anchor", pub])
        #expect(verified.status == 0, "\(verified)")
        for line in [
            "manifest-sequence-number: 4", "vendor-id: \(Self.vendor)", "class-id: \(Self.deviceClass)", "image-size: 5000",
            "uri: \"coaps://gateway/fw/1.1.0\"", "component-version: \"1.1.0\"", "release: version 1.1.0, sequence 4, 5000 bytes",
            "signature: verified, signed by",
        ] {
            #expect(verified.stdout.contains(line), "inspect did not print \(line):\n\(verified.stdout)")
        }
        let decoded = try SUITEnvelope(decoding: Array(Data(contentsOf: URL(fileURLWithPath: envelope))))
        #expect(try FirmwareRelease(manifest: decoded.manifest).imageDigest.matches(Array(Data(contentsOf: URL(fileURLWithPath: image)))))

        let otherKey = directory.file("other.key"), otherPub = directory.file("other.pub")
        #expect(try await Self.run(["keygen", "--out", otherKey, "--public-out", otherPub]).status == 0)
        let wrong = try await Self.run(["inspect", envelope, "--trust-anchor", otherPub])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("no signature verifies"), "\(wrong.stderr)")
        #expect(try await Self.run(["inspect", envelope]).stdout.contains("signature: not checked"))
    }

    @Test("the draft's Example 1 with its trust anchor verifies; a changed byte exits 65 or 1; a loose key file is refused")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let example = directory.file("exp1.suit"), anchor = directory.file("anchor.pem")
        try Data(Fixtures.example("exp1")).write(to: URL(fileURLWithPath: example))
        try Data(Fixtures.trustAnchor().pemRepresentation.utf8).write(to: URL(fileURLWithPath: anchor))
        let good = try await Self.run(["inspect", example, "--trust-anchor", anchor])
        #expect(good.status == 0 && good.stdout.contains("uri: \"http://example.com/file.bin\""), "\(good)")

        var bytes = try Fixtures.example("exp1")
        bytes[bytes.count - 10] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: example))
        let changed = try await Self.run(["inspect", example, "--trust-anchor", anchor])
        #expect(changed.status == 65, "\(changed)")
        #expect(changed.stderr.contains("digest"), "\(changed.stderr)")

        let key = directory.file("fw.key"), image = directory.file("image.bin")
        #expect(try await Self.run(["keygen", "--out", key]).status == 0)
        chmod(key, 0o644)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: image))
        let loose = try await Self.run([
            "sign", "--key", key, "--image", image, "--version", "1", "--sequence", "1", "--vendor-id", Self.vendor, "--class-id",
            Self.deviceClass, "--out", directory.file("x.suit"),
        ])
        #expect(loose.status == 1, "\(loose)")
        let badUUID = try await Self.run([
            "sign", "--key", key, "--image", image, "--version", "1", "--sequence", "1", "--vendor-id", "acme", "--class-id",
            Self.deviceClass, "--out", directory.file("y.suit"),
        ])
        #expect(badUUID.status == 64)
    }
}
