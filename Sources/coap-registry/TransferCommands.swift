import ArgumentParser
import DeviceRegistry
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write devices, credentials and rules as JSON; secrets stay encrypted under the master key.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The file to write (a new file, mode 0600); - or nothing for stdout.") var file: String?

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            var data = try registry.exportJSON()
            data.append(UInt8(ascii: "\n"))
            guard let file, file != "-" else {
                FileHandle.standardOutput.write(data)
                return
            }
            try SecretFile.create(at: file, contents: [UInt8](data))
            let document = try RegistryJSON.decoder().decode(RegistryExport.self, from: data)
            print("exported \(document.devices.count) devices and \(document.rules.count) rules to \(file)")
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the devices, credentials and rules of an export (same master key), all or nothing.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "An export file.") var file: String

    func run() throws {
        try CLI.run {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIFailure("cannot read \(file)") }
            let registry = try store.open()
            defer { registry.close() }
            let summary = try registry.importJSON(data)
            print("imported \(summary.devices) devices, \(summary.credentials) credentials, \(summary.rules) rules")
        }
    }
}
