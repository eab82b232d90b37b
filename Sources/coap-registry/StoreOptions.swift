import ArgumentParser
import DeviceRegistry
import Foundation

/// Where the registry is: every command takes these.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The registry database (default: $SECURECOAP_REGISTRY_DB or ./data/registry.db).")
    var database: String?

    @Option(name: .customLong("master-key-file"), help: "The master key file (default: $SECURECOAP_MASTER_KEY_FILE or <db>.master-key).")
    var masterKeyFile: String?

    @Option(name: .customLong("busy-timeout"), help: "Seconds to wait for another process's lock on the database.")
    var busyTimeout: Double = 5

    func validate() throws {
        guard busyTimeout >= 0 else { throw ValidationError("--busy-timeout cannot be negative") }
    }

    /// The database path in use.
    var databasePath: String {
        if let database, !database.isEmpty { return database }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SECURECOAP_REGISTRY_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "./data/registry.db"
    }

    /// The master key path in use.
    var masterKeyPath: String { DeviceRegistry.masterKeyPath(forDatabase: databasePath, explicit: masterKeyFile) }

    /// Opens an existing registry (it does not create one: that is `init`'s job).
    func open() throws -> DeviceRegistry {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw CLIFailure("no registry at \(databasePath); create one with `coap-registry init --db \(databasePath)`")
        }
        return try openOrCreate()
    }

    /// Opens the registry, creating the database if it does not exist.
    func openOrCreate() throws -> DeviceRegistry {
        var configuration = DeviceRegistryConfiguration()
        configuration.busyTimeout = busyTimeout
        configuration.watchesForChanges = false
        return try DeviceRegistry(databasePath: databasePath, masterKeyFile: masterKeyFile, configuration: configuration, logger: CLI.logger)
    }
}
