import ArgumentParser
import DeviceRegistry
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a registry database and its master key file (mode 0600).",
        discussion: "Back up the master key file: without it, the secrets in the registry cannot be used.")

    @OptionGroup var store: StoreOptions

    @Flag(name: .customLong("existing-key"), help: "Use the master key file that exists already instead of creating one.")
    var existingKey = false

    func run() throws {
        try CLI.run {
            let database = store.databasePath
            let files = FileManager.default
            guard !files.fileExists(atPath: database) else {
                throw CLIFailure("a registry already exists at \(database)")
            }
            let directory = (database as NSString).deletingLastPathComponent
            if !directory.isEmpty && !files.fileExists(atPath: directory) {
                do {
                    try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw CLIFailure("cannot create the directory \(directory): \(error.localizedDescription)")
                }
            }
            let keyPath = store.masterKeyPath
            var createdKey = false
            if files.fileExists(atPath: keyPath) {
                guard existingKey else {
                    throw CLIFailure("the master key file \(keyPath) already exists; refusing to overwrite it (pass --existing-key to use it)")
                }
            } else {
                guard !existingKey else { throw CLIFailure("--existing-key: \(keyPath) does not exist") }
                try DeviceRegistry.createMasterKey(at: keyPath)
                createdKey = true
            }
            do {
                try store.openOrCreate().close()
            } catch {
                for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: database + suffix) }
                if createdKey { try? files.removeItem(atPath: keyPath) }
                throw error
            }
            if createdKey {
                print("created master key \(keyPath) (mode 0600; back it up: without it the registry's secrets are lost)")
            } else {
                print("using master key \(keyPath)")
            }
            print("created registry \(database)")
        }
    }
}
