import ArgumentParser
import Firmware

/// `coap-firmware inspect`: an envelope in readable form, verified when trust anchors are given.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a SUIT envelope; with --trust-anchor, verify it (exit 1 when it does not verify).")

    @Argument(help: "The envelope file.")
    var envelope: String

    @Option(name: .customLong("trust-anchor"), help: "A public key allowed to sign (PEM); repeat for several.")
    var trustAnchors: [String] = []

    func run() throws {
        try FirmwareCLI.run {
            let decoded = try SUITEnvelope(decoding: FirmwareCLI.read(envelope, what: "envelope"))
            print(decoded.readableDescription())
            guard !trustAnchors.isEmpty else {
                print("signature: not checked (no --trust-anchor)")
                return
            }
            let anchors = try trustAnchors.map(FirmwareCLI.trustAnchor)
            let signer = try decoded.verify(trustAnchors: anchors)
            print("signature: verified, signed by \(signer)")
        }
    }
}
