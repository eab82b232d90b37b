import ArgumentParser
import DeviceRegistry

/// The options shared by `suspend`, `resume` and `revoke`.
struct StatusArguments: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Option(help: "Why (recorded in the audit log).") var reason: String?

    func set(_ status: DeviceStatus) throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let before = try registry.storedDevice(device).status
            try registry.setStatus(status, for: device, reason: reason)
            print(before == status ? "device \(device) is already \(status.rawValue)" : "device \(device): \(before.rawValue) → \(status.rawValue)")
        }
    }
}

struct SuspendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend", abstract: "Suspend a device: gateways refuse it within a second and close its sessions.")
    @OptionGroup var arguments: StatusArguments
    func run() throws { try arguments.set(.suspended) }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Make a suspended (or revoked) device active again.", aliases: ["activate"])
    @OptionGroup var arguments: StatusArguments
    func run() throws { try arguments.set(.active) }
}

struct RevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a device: gateways refuse it within a second and close its sessions.")
    @OptionGroup var arguments: StatusArguments
    func run() throws { try arguments.set(.revoked) }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a device with its credentials and rules (the audit log keeps its history).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Option(help: "Why (recorded in the audit log).") var reason: String?

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            try registry.removeDevice(device, reason: reason)
            print("removed device \(device)")
        }
    }
}

struct FirmwareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "firmware", abstract: "Record the firmware version a device runs.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Argument(help: "The firmware version.") var version: String

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            try registry.setFirmwareVersion(version, for: device)
            print("device \(device) runs firmware \(version)")
        }
    }
}
