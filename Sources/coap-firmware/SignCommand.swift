import ArgumentParser
import Firmware
import Foundation
import Glibc

/// `coap-firmware sign`: a SUIT envelope for an image.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign an image: writes its SUIT envelope (binary CBOR) to stdout or --out.",
        discussion: """
            The manifest checks vendor and class id, the image's SHA-256 and size; when --uri is given its \
            install sequence fetches the image from there. The sequence number is the anti-rollback counter: \
            a node installs only a number above the one it has.
            """)

    @Option(help: "The private key (PEM, from `keygen`; must not be readable by group or others).")
    var key: String

    @Option(help: "The image file.")
    var image: String

    @Option(help: "The version string shown to people (the manifest's component-version text).")
    var version: String

    @Option(help: "The manifest sequence number.")
    var sequence: UInt64

    @Option(name: .customLong("vendor-id"), help: "The vendor's UUID.")
    var vendorID: String

    @Option(name: .customLong("class-id"), help: "The device class's UUID.")
    var classID: String

    @Option(help: "Where nodes fetch the image (coaps://…).")
    var uri: String?

    @Option(help: "Write the envelope here instead of stdout.")
    var out: String?

    func run() throws {
        try FirmwareCLI.run {
            let vendor = try FirmwareCLI.uuid(vendorID, option: "--vendor-id")
            let deviceClass = try FirmwareCLI.uuid(classID, option: "--class-id")
            guard !version.isEmpty, version.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw ValidationError("--version must be non-empty printable text")
            }
            if out == nil && isatty(STDOUT_FILENO) == 1 {
                throw ValidationError("the envelope is binary: redirect stdout or use --out FILE")
            }
            let signingKey = try FirmwareSigningKey(
                pemRepresentation: String(decoding: FirmwareCLI.read(key, what: "signing key", requirePrivate: true), as: UTF8.self))
            let bytes = try FirmwareCLI.read(image, what: "image", maxBytes: FirmwareCLI.maxImageBytes)
            let release = FirmwareRelease(
                sequenceNumber: sequence, vendorID: vendor, classID: deviceClass, imageDigest: try SUITDigest.sha256(of: bytes),
                imageSize: UInt64(bytes.count), uri: uri, version: version)
            let envelope = try SUITEnvelope.sign(release.manifest, with: signingKey)
            if let out {
                try Data(envelope.encoded).write(to: URL(fileURLWithPath: out), options: .withoutOverwriting)
                FileHandle.standardError.write(Data("signed \(image) (\(bytes.count) bytes, version \(version), sequence \(sequence)) into \(out), \(envelope.encoded.count) bytes\n".utf8))
            } else {
                FirmwareCLI.writeStdout(envelope.encoded)
            }
        }
    }
}
