public import CoAP
import Foundation
public import LibCrypto
public import Logging
public import ServiceLifecycle
import Platform

/// The gateway resource server: DTLS (PSK and certificates, checked against the directory) and
/// plain CoAP (sealed readings only); `POST /readings` stored durably and encrypted at rest;
/// `GET /readings/{device}` observable; `GET /health`; `GET /security` for admins.
///
/// ```swift
/// let gateway = try Gateway(configuration: config, directory: registryDirectory,
///                           readingsPath: "data/readings.db", masterKey: masterKey)
/// try await gateway.run()   // until SIGTERM (ServiceLifecycle) or cancellation
/// ```
///
/// How it is put together is in docs/architecture.md: the resources (`ReadingsResource`,
/// `HealthResource`, `SecurityResource`) register their routes; a reading goes through the stages
/// of `ReadingIngestion`; the storage (`GatewayStorage`) holds the readings and the replay state.
public final class Gateway: Service, Sendable {
    public let configuration: GatewayConfiguration
    public let store: ReadingsStore
    public let monitor: SecurityMonitor
    let storage: GatewayStorage
    let server: CoAPServer
    let commits: CommitQueue
    let replayGuard: ReplayGuard
    let directory: any GatewayDirectory
    let logger: Logger
    /// Sums up, every few seconds, the security events held back from the log and the audit; set
    /// once started.
    private let summaries: Locked<(any DispatchSourceTimer)?>

    /// - Parameter routes: the application's own resources, served next to the gateway's on the
    ///   same ports (plain and DTLS; `request.identity` tells who asks). The gateway's routes —
    ///   `/readings`, `/readings/{device}`, `/health`, `/security` — are added after, so they
    ///   cannot be replaced.
    public init(
        configuration: GatewayConfiguration, directory: any GatewayDirectory, readingsPath: String, masterKey: SecureBytes,
        logger: Logger = Logger(label: "securecoap.gateway"), routes: (inout CoAPRouter) -> Void = { _ in }
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.directory = directory
        self.logger = logger
        let storage = try GatewayStorage(
            readingsPath: readingsPath, masterKey: masterKey, durability: configuration.readingsDurability,
            recovery: configuration.recovery, contentCipher: configuration.readingsContentCipher, logger: logger)
        self.storage = storage
        store = storage.readings
        let monitor = SecurityMonitor(policy: configuration.lockout, directory: directory, logger: logger)
        self.monitor = monitor
        let refusals = Refusals(monitor: monitor)

        // The stages of POST /readings, in order.
        let replayGuard = ReplayGuard(directory: directory, storage: storage, refusals: refusals, logger: logger)
        self.replayGuard = replayGuard
        let parser = ReadingParser(maxRecords: configuration.maxRecordsPerMessage, refusals: refusals)
        let observed = ObservedReadings()
        commits = CommitQueue(storage: storage, replayGuard: replayGuard, parser: parser, observed: observed, directory: directory, logger: logger)
        let ingestion = ReadingIngestion(
            admission: Admission(maxPayloadBytes: configuration.maxPayloadBytes, monitor: monitor, refusals: refusals),
            sealOpening: SealOpening(replayGuard: replayGuard, directory: directory, refusals: refusals),
            policy: AccessPolicy(
                directory: directory, monitor: monitor,
                rateLimiter: RateLimiter(rate: configuration.ratePerDevice, burst: configuration.burstPerDevice), refusals: refusals),
            commits: commits)

        // The resources.
        let counters = DTLSServerCounters(), coapCounters = CoAPServerCounters()
        var router = CoAPRouter()
        routes(&router)
        ReadingsResource(ingestion: ingestion, store: store, observed: observed, directory: directory, monitor: monitor).register(on: &router)
        HealthResource(store: store, probe: HealthProbe(store: store), commits: commits, parser: parser, started: Date()).register(on: &router)
        SecurityResource(monitor: monitor, directory: directory, dtls: counters, coap: coapCounters).register(on: &router)

        var serverConfiguration = CoAPServer.Configuration(
            host: configuration.host, port: configuration.port, plainCoAP: configuration.plainCoAP, dtlsPort: configuration.dtlsPort,
            limits: configuration.coapLimits, counters: coapCounters)
        // A body over the readings' limit is refused as it arrives, block by block.
        serverConfiguration.limits.maxRequestBodyBytes = configuration.maxPayloadBytes
        serverConfiguration.dtls = DTLSCredentials.configuration(configuration, directory: directory, monitor: monitor, counters: counters)
        server = try CoAPServer(configuration: serverConfiguration, router: router, logger: logger)
        summaries = Locked(nil)
    }

    /// Binds and starts serving without blocking.
    public func start() throws {
        try server.start()
        guard summaries.withLock({ $0 == nil }) else { return }
        let server = self.server, directory = self.directory
        commits.start { [weak server] devices in server?.notifyObservers(of: devices.map { "/readings/\($0)" }) }
        // libcoap can only observe a resource that exists: each device's readings resource is made
        // now, and as devices are added.
        for device in directory.deviceIDs() { server.materialize(path: "/readings/\(device)") }
        directory.onChange { [weak self] devices in
            guard let self else { return }
            self.replayGuard.forget(devices: devices)
            for device in devices { self.server.materialize(path: "/readings/\(device)") }
            // A device that is no longer active loses its live sessions (and observations) now,
            // not when it next handshakes.
            let inactive = Set(devices.filter { self.directory.device($0)?.isActive != true })
            if !inactive.isEmpty { self.server.closeDTLSSessions { inactive.contains($0) } }
        }
        let monitor = self.monitor
        summaries.withLock { timer in
            guard timer == nil else { return }
            let made = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "securecoap.gateway.security-summaries", qos: .utility))
            made.schedule(deadline: .now() + .seconds(5), repeating: .seconds(5))
            made.setEventHandler { monitor.flush() }
            made.activate()
            timer = made
        }
    }

    /// Serves until graceful shutdown (SIGTERM via ServiceLifecycle) or cancellation, then shuts
    /// down as ``shutdown()`` does.
    public func run() async throws {
        try start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await server.waitUntilStopped()
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            self.shutdown()
        }
    }

    /// Stops gracefully: new readings are refused (5.03), the ones already accepted are committed
    /// and answered (waiting at most ``GatewayConfiguration/shutdownGrace``; what still waits then
    /// is answered 5.03 and not stored), then the server stops. Idempotent.
    public func shutdown() {
        if !commits.close(timeout: configuration.shutdownGrace) {
            logger.warning("readings still queued when the shutdown grace ran out were answered 5.03, not stored; their senders retry")
        }
        server.shutdown()
        storage.close()
        summaries.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        monitor.flush()
    }

    /// The plain CoAP port (after `start()`).
    public var port: UInt16? { server.port }
    /// The DTLS port (after `start()`).
    public var dtlsPort: UInt16? { server.dtlsPort }

    /// What the DTLS endpoint's front door and handshakes have seen, and what peers hold now.
    public var dtlsStatistics: DTLSServerStatistics? { server.dtlsStatistics }

    /// Tells the observers of one of the application's resources (see `routes`) that it changed.
    public func notifyObservers(of path: String) { server.notifyObservers(of: path) }

    /// Readings stored since start.
    public var readingsStored: Int { commits.stored.withLock { $0 } }
    /// Durable store transactions since start: fewer than ``readingsStored`` when readings that
    /// arrived together were committed together.
    public var readingCommits: Int { commits.commits.withLock { $0 } }
}
