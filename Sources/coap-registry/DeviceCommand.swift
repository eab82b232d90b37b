import ArgumentParser

struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Devices: add, list, show, suspend, resume (activate), revoke, remove, firmware.",
        subcommands: [
            AddCommand.self, ListCommand.self, ShowCommand.self, SuspendCommand.self, ResumeCommand.self,
            RevokeCommand.self, RemoveCommand.self, FirmwareCommand.self,
        ])
}
