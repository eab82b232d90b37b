import ArgumentParser
import DeviceRegistry
import Foundation
import LibCrypto

struct RotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace a device's PSK or sealing secret; the old one keeps working for the grace period.",
        discussion: "The new key is generated and printed once (or, for a sealing secret, written with --write-sealing-secret).")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Flag(help: "Rotate the DTLS PSK.") var psk = false
    @Flag(help: "Rotate the sealing secret (new kid, new secret).") var sealing = false
    @Option(help: "Seconds the old credential keeps working.") var grace: Double = 3600
    @Option(name: .customLong("psk-identity"), help: "The new PSK identity (default: the device id, or the id and a number).")
    var pskIdentity: String?
    @Option(name: .customLong("kid"), help: "The new kid in hex (default: 4 random bytes).")
    var kid: String?
    @Option(name: .customLong("write-sealing-secret"), help: "Write the new sealing secret to this new file (mode 0600) instead of printing it.")
    var writeSealingSecret: String?

    func validate() throws {
        guard psk != sealing else { throw ValidationError("give exactly one of --psk and --sealing") }
        guard grace >= 0 else { throw ValidationError("--grace cannot be negative") }
        if psk && (kid != nil || writeSealingSecret != nil) { throw ValidationError("--kid and --write-sealing-secret go with --sealing") }
        if sealing && pskIdentity != nil { throw ValidationError("--psk-identity goes with --psk") }
    }

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let rotation: CredentialRotation
            if psk {
                rotation = try registry.rotatePSK(deviceID: device, identity: pskIdentity, grace: grace)
            } else {
                let secret = try DeviceRegistry.generateSealingSecret()
                if let writeSealingSecret { try SecretInputs.writeSealingSecret(secret, to: writeSealingSecret) }
                do {
                    rotation = try registry.rotateSealingSecret(
                        deviceID: device, kid: try kid.map { try CLI.parseHex($0, option: "--kid") }, secret: secret, grace: grace)
                } catch {
                    if let writeSealingSecret { try? FileManager.default.removeItem(atPath: writeSealingSecret) }
                    throw error
                }
            }
            let new = rotation.credential
            print("device \(device): new \(new.kind.rawValue) \(new.label) (credential \(new.id))")
            for old in rotation.retired {
                print("  retired \(old.label) (credential \(old.id)), usable until \(CLI.format(old.notAfter))")
            }
            if psk {
                SecretInputs.printGeneratedPSK(identity: new.pskIdentity ?? "", key: rotation.secret)
            } else if let writeSealingSecret {
                print("wrote the sealing secret for kid \(Hex.encode(new.kid ?? [])) to \(writeSealingSecret) (mode 0600)")
            } else {
                SecretInputs.printGeneratedSealingSecret(kid: new.kid ?? [], secret: rotation.secret)
            }
        }
    }
}
