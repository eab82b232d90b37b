import ArgumentParser
import Firmware
import Platform

/// `coap-firmware keygen`: a new signing key pair.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a signing key: the private key into a new 0600 file, the public key (the trust anchor) to stdout or --public-out.")

    @Option(help: "Key type: p256 (signs ES256) or ed25519 (signs EdDSA).")
    var kind: KeyKind = .p256

    @Option(name: .customLong("out"), help: "The private key file to create (PEM; refused if it exists).")
    var privatePath: String

    @Option(name: .customLong("public-out"), help: "Also write the public key here (PEM; refused if it exists).")
    var publicPath: String?

    func run() throws {
        try FirmwareCLI.run {
            let key = try FirmwareSigningKey(generating: kind == .p256 ? .p256 : .ed25519)
            let publicPEM = try key.trustAnchor().pemRepresentation
            try DurableFile.createExclusive(privatePath, contents: Array(try key.exportPEM().utf8))
            if let publicPath {
                try DurableFile.createExclusive(publicPath, contents: Array(publicPEM.utf8))
                print("\(kind) key: private \(privatePath) (0600), public \(publicPath), fingerprint \(try key.trustAnchor().fingerprint)")
            } else {
                print(publicPEM, terminator: "")
            }
        }
    }
}

/// `--kind`'s values (the library's `FirmwareKeyKind`, spelled for the command line).
enum KeyKind: String, ExpressibleByArgument, CaseIterable {
    case p256, ed25519
}
