import ArgumentParser
import CLIOptions
import CoAP
import DeviceRegistry
import Foundation
import Gateway
import Logging
import ServiceLifecycle

/// `coap-gateway`: the gateway resource server. Argument parsing and wiring only; the work is in
/// the `Gateway` and `DeviceRegistry` libraries.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coap-gateway",
        abstract: "Serve sealed SenML readings over DTLS and CoAP, with the device registry's credentials and rules.",
        subcommands: [RunCommand.self, RekeyCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// Options shared by the subcommands: where the data lives.
struct DataOptions: ParsableArguments {
    @Option(help: "Data directory: registry.db, readings.db and the master key (registry.db.master-key unless named).")
    var data: String = "./data"

    @Option(name: .customLong("master-key-file"), help: "The registry's master key file (default: beside registry.db, or SECURECOAP_MASTER_KEY_FILE).")
    var masterKeyFile: String?

    var registryPath: String { data + "/registry.db" }
    var readingsPath: String { data + "/readings.db" }

    /// Opens the registry, creating the data directory, master key and registry on first use.
    func openRegistry(logger: Logger) throws -> DeviceRegistry {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let keyPath = DeviceRegistry.masterKeyPath(forDatabase: registryPath, explicit: masterKeyFile)
        if !FileManager.default.fileExists(atPath: keyPath) && !FileManager.default.fileExists(atPath: registryPath) {
            try DeviceRegistry.createMasterKey(at: keyPath)
            logger.notice("created a master key", metadata: ["path": "\(keyPath)"])
        }
        return try DeviceRegistry(databasePath: registryPath, masterKeyFile: keyPath, logger: logger)
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the gateway until SIGINT or SIGTERM.")

    @OptionGroup var storage: DataOptions

    @Option(help: "JSON config file (keys: \(GatewayConfigFile.keys.joined(separator: ", "))).")
    var config: String?

    @Option(help: "Address to bind (default 127.0.0.1; 0.0.0.0 or :: for the network).")
    var host: String?

    @Option(help: "Plain CoAP port (default 5683; 0 picks one).")
    var port: UInt16?

    @Option(name: .customLong("dtls-port"), help: "DTLS port (default 5684; 0 picks one).")
    var dtlsPort: UInt16?

    @Flag(name: .customLong("no-plain"), help: "Serve DTLS only.")
    var noPlain = false

    @OptionGroup var certificates: ServerCertificateOptions<GatewayCertificateWording>

    @Option(help: "What an acknowledged reading survives: process (the gateway killed; default) or power (a power cut too: a flush per commit).")
    var durability: String?

    @Flag(name: .customLong("new-readings-store"), help: "The readings store is missing: start a new one (the replay state is kept, so no earlier message is accepted again).")
    var newReadingsStore = false

    @Flag(name: .customLong("accept-restored-readings"), help: "The readings store is older than the replay state (restored from a backup): use it; readings since the backup are lost.")
    var acceptRestoredReadings = false

    @Flag(name: .customLong("rebuild-replay-state"), help: "The replay state is missing: make it again from the readings store.")
    var rebuildReplayState = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("ports-file"), help: "Write the bound ports here once listening (\"PLAIN DTLS\"), for scripts.")
    var portsFile: String?

    func run() async throws {
        var logger = Logger(label: "securecoap.gateway")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let file: GatewayConfigFile
        do { file = try config.map(GatewayConfigFile.read) ?? GatewayConfigFile() } catch { throw ValidationError(error.message) }
        var configuration = GatewayConfiguration()
        configuration.host = host ?? file.host ?? configuration.host
        configuration.port = port ?? file.port ?? configuration.port
        configuration.dtlsPort = dtlsPort ?? file.dtlsPort ?? configuration.dtlsPort
        configuration.plainCoAP = noPlain ? false : (file.plain ?? true)
        if let files = certificates.files(certificate: file.certificate, privateKey: file.privateKey, ca: file.ca) {
            configuration.certificate = files.certificate
            configuration.privateKey = files.privateKey
            configuration.trustedCA = files.trustedCA
        }
        do { try file.apply(to: &configuration) } catch { throw ValidationError(error.message) }
        if newReadingsStore { configuration.recovery.insert(.startNewReadingsStore) }
        if acceptRestoredReadings { configuration.recovery.insert(.acceptRestoredReadings) }
        if rebuildReplayState { configuration.recovery.insert(.rebuildReplayState) }
        if let name = durability ?? file.durability {
            guard let level = ReadingsDurability(rawValue: name) else {
                throw ValidationError("durability must be process or power, not \(name)")
            }
            configuration.readingsDurability = level
        }

        let registry: DeviceRegistry
        let gateway: Gateway
        do {
            registry = try storage.openRegistry(logger: logger)
            gateway = try Gateway(
                configuration: configuration, directory: RegistryDirectory(registry: registry), readingsPath: storage.readingsPath,
                masterKey: try registry.derivedKey(for: "readings"), logger: logger)
            try gateway.start()
        } catch {
            FileHandle.standardError.write(Data("coap-gateway: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { registry.close() }
        logger.info("gateway ready", metadata: [
            "plain": "\(gateway.port.map(String.init) ?? "off")", "dtls": "\(gateway.dtlsPort.map(String.init) ?? "off")",
            "data": "\(storage.data)",
        ])
        if let portsFile {
            try "\(gateway.port ?? 0) \(gateway.dtlsPort ?? 0)\n".write(toFile: portsFile, atomically: true, encoding: .utf8)
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: gateway)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("gateway stopped", metadata: ["readings_stored": "\(gateway.readingsStored)"])
    }
}

/// The help texts of `coap-gateway run`'s certificate options.
enum GatewayCertificateWording: ServerCertificateWording {
    static let certificateHelp = "Gateway certificate (PEM) for certificate DTLS."
    static let privateKeyHelp = "Private key of --cert (PEM)."
    static let caHelp = "CA that device certificates chain to (PEM)."
}

struct RekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Make a new data key for the readings and re-encrypt them (safe while the gateway runs).")

    @OptionGroup var storage: DataOptions

    func run() async throws {
        let logger = Logger(label: "securecoap.gateway")
        do {
            let registry = try DeviceRegistry(
                databasePath: storage.registryPath,
                masterKeyFile: DeviceRegistry.masterKeyPath(forDatabase: storage.registryPath, explicit: storage.masterKeyFile),
                logger: logger)
            defer { registry.close() }
            let store = try ReadingsStore(path: storage.readingsPath, masterKey: try registry.derivedKey(for: "readings"))
            let moved = try store.rekey()
            print("re-encrypted \(moved) readings under a new data key")
        } catch {
            FileHandle.standardError.write(Data("coap-gateway rekey: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
