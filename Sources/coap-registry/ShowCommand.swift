import ArgumentParser
import DeviceRegistry
import LibCrypto
import Foundation

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a device, its credentials and rules.",
        discussion: "Secrets are never shown, except with --reveal, which is recorded in the audit log.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Also print the device's secrets (audited).") var reveal = false

    struct Listing: Encodable {
        struct Item: Encodable {
            var credential: Credential
            var usable: Bool
            var secretHex: String?
        }
        var device: Device
        var credentials: [Item]
        var rules: [AccessRule]
    }

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let device = try registry.storedDevice(self.device)
            let credentials = try registry.credentials(forDevice: self.device)
            let rules = try registry.rules(forDevice: self.device)
            var secrets: [String: String] = [:]
            if reveal {
                for revealed in try registry.revealSecrets(deviceID: self.device) {
                    secrets[revealed.credential.id] = Hex.encode(revealed.secret)
                }
            }
            let now = Date()
            let listing = Listing(
                device: device,
                credentials: credentials.map { .init(credential: $0, usable: $0.isUsable(at: now), secretHex: secrets[$0.id]) },
                rules: rules)
            if json { return try CLI.printJSON(listing) }
            print("device \(device.id)")
            print("  status:          \(device.status.rawValue)")
            print("  created:         \(CLI.format(device.createdAt))")
            print("  updated:         \(CLI.format(device.updatedAt))")
            print("  firmware:        \(device.firmwareVersion ?? "-")")
            print("  last seen:       \(CLI.format(device.lastSeen))")
            print("  labels:          \(device.labels.isEmpty ? "-" : device.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
            print("  sealed readings: \(device.requireSealedReadings ? "required" : "optional")")
            print("  admin:           \(device.isAdmin ? "yes" : "no")")
            print("credentials:")
            if credentials.isEmpty { print("  none") } else {
                CLI.printTable(
                    ["  ID", "KIND", "STATUS", "NOT BEFORE", "NOT AFTER", "NAME"],
                    listing.credentials.map { item in
                        let c = item.credential
                        let status = c.status == .revoked || item.usable ? c.status.rawValue : "\(c.status.rawValue) (not usable now)"
                        return ["  " + c.id, c.kind.rawValue, status, CLI.format(c.notBefore), CLI.format(c.notAfter), c.label]
                    })
            }
            print("rules:")
            if rules.isEmpty { print("  none (everything is denied)") } else {
                CLI.printTable(
                    ["  ID", "EFFECT", "SCOPE", "RULE"],
                    rules.map { ["  " + $0.id, $0.effect.rawValue, $0.deviceID == nil ? "all devices" : "device", $0.specification] })
            }
            if reveal {
                print("secrets (revealed; this was recorded in the audit log):")
                for item in listing.credentials {
                    guard let secret = item.secretHex else { continue }
                    print("  \(item.credential.id) \(item.credential.kind.rawValue) \(item.credential.label): \(secret)")
                }
            }
        }
    }
}
