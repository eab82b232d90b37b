import ArgumentParser
import DeviceRegistry

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List devices (never secrets).")

    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Only devices with this status (active, suspended, revoked).") var status: String?

    func validate() throws {
        if let status, DeviceStatus(rawValue: status) == nil { throw ValidationError("--status is active, suspended or revoked") }
    }

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let devices = try registry.devices().filter { status == nil || $0.status.rawValue == status }
            if json { return try CLI.printJSON(devices) }
            let credentials = Dictionary(grouping: try registry.allCredentials(), by: \.deviceID)
            CLI.printTable(
                ["DEVICE", "STATUS", "CREDENTIALS", "FIRMWARE", "LAST SEEN"],
                devices.map { device in
                    let kinds = (credentials[device.id] ?? []).filter { $0.status != .revoked }.map(\.kind.rawValue)
                    return [
                        device.id, device.status.rawValue, kinds.isEmpty ? "-" : kinds.joined(separator: ","),
                        device.firmwareVersion ?? "-", CLI.format(device.lastSeen),
                    ]
                })
        }
    }
}
