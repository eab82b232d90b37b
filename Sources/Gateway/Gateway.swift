public import CoAP
import Foundation
public import LibCrypto
public import Logging
public import ServiceLifecycle
import SenML
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
public final class Gateway: Service, Sendable {
    public let configuration: GatewayConfiguration
    public let store: ReadingsStore
    let storage: GatewayStorage
    public let monitor: SecurityMonitor
    let server: CoAPServer
    let ingestor: ReadingIngestor
    let directory: any GatewayDirectory
    let logger: Logger
    let started = Date()
    /// Sums up, every few seconds, the security events held back from the log and the audit.
    private let summaries: Locked<(any DispatchSourceTimer)?>
    /// DTLS identity (PSK identity, or the device a certificate mapped to) → device id.
    let identities: Locked<[String: String]>
    /// Makes `/readings/<device>` a resource of its own, so it can be observed (once per device).
    let prepareDevice: @Sendable (String) -> Void

    /// - Parameter routes: the application's own resources, served next to the gateway's on the
    ///   same ports (plain and DTLS; `request.identity` tells who asks). The gateway's routes —
    ///   `/readings`, `/readings/{device}`, `/health`, `/security` — are added after, so they
    ///   cannot be replaced.
    public init(
        configuration: GatewayConfiguration, directory: any GatewayDirectory, readingsPath: String, masterKey: SecureBytes,
        logger: Logger = Logger(label: "securecoap.gateway"), routes: (inout CoAPRouter) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        self.directory = directory
        self.logger = logger
        try configuration.validate()
        let storage = try GatewayStorage(
            readingsPath: readingsPath, masterKey: masterKey, durability: configuration.readingsDurability,
            recovery: configuration.recovery, encryptsContent: configuration.encryptsReadingsAtRest, logger: logger)
        self.storage = storage
        let store = storage.readings
        self.store = store
        let monitor = SecurityMonitor(policy: configuration.lockout, directory: directory, logger: logger)
        self.monitor = monitor
        let identities = Locked<[String: String]>([:])
        self.identities = identities

        let serverBox = Locked<CoAPServer?>(nil)
        let ingestor = ReadingIngestor(
            directory: directory, storage: storage, monitor: monitor,
            limits: .init(maxPayloadBytes: configuration.maxPayloadBytes, maxRecords: configuration.maxRecordsPerMessage,
                          ratePerDevice: configuration.ratePerDevice, burstPerDevice: configuration.burstPerDevice),
            logger: logger,
            onStored: { devices in serverBox.withLock { $0 }?.notifyObservers(of: devices.map { "/readings/\($0)" }) })
        self.ingestor = ingestor

        var router = CoAPRouter()
        routes(&router)
        let deviceOf: @Sendable (CoAPRequest) -> String? = { request in
            request.identity.flatMap { identity in identities.withLock { $0[identity] } }
        }
        // Ingestion checks a reading on the loop thread with no task per request, then hands it to
        // the commit worker, which stores what has arrived meanwhile in one transaction; the
        // answer rides on the held-back ACK once the batch is durable (ReadingIngestor,
        // CommitQueue). The loop never waits on the disk. The other routes are synchronous.
        router.on(.post, "/readings", attributes: .init(resourceTypes: ["securecoap.readings"], title: "SenML readings, sealed"),
                  deferrable: { request, later in
            ingestor.ingest(request, channelDevice: deviceOf(request), later: later)
        })
        let started = self.started
        router.on(.get, "/readings/{device}", attributes: .init(resourceTypes: ["securecoap.readings"], observable: true), synchronous: { request in
            Self.readings(request, requester: deviceOf(request), directory: directory, store: store, monitor: monitor)
        })
        let probe = HealthProbe(store: store)
        router.on(.get, "/health", attributes: .init(resourceTypes: ["securecoap.health"], contentFormats: [.json]), synchronous: { _ in
            Self.health(store: store, probe: probe, ingestor: ingestor, started: started)
        })
        router.on(.get, "/security", attributes: .init(resourceTypes: ["securecoap.security"], contentFormats: [.json]), synchronous: { request in
            guard let requester = deviceOf(request), directory.device(requester)?.isAdmin == true else {
                return CoAPResponse.status(.forbidden)
            }
            var response = CoAPResponse(code: .content)
            response.payload = monitor.reportJSON(dtls: serverBox.withLock { $0 }?.dtlsStatistics)
            response.options.contentFormat = .json
            return response
        })

        var serverConfiguration = CoAPServer.Configuration(
            host: configuration.host, port: configuration.port, plainCoAP: configuration.plainCoAP, dtlsPort: configuration.dtlsPort)
        // A body over the readings' limit is refused as it arrives, block by block.
        serverConfiguration.limits.maxRequestBodyBytes = configuration.maxPayloadBytes
        // libcoap can only observe a resource that exists: a device's readings resource is made
        // as soon as the device authenticates, before it (or anyone) asks to observe it.
        let materialized = Locked<Set<String>>([])
        let prepare: @Sendable (String) -> Void = { device in
            guard materialized.withLock({ $0.insert(device).inserted }) else { return }
            serverBox.withLock { $0 }?.materialize(path: "/readings/\(device)")
        }
        prepareDevice = prepare
        // Locked out here: only devices whose own misbehaviour is proven (SecurityMonitor). An
        // address whose handshakes keep failing is throttled by the server (DTLSServerLimits).
        let psk = DTLSServerConfiguration.PSK(hint: configuration.pskHint) { identity, _ in
            guard let match = directory.pskKey(forIdentity: identity.text), !monitor.isLockedOut(deviceID: match.deviceID),
                  let key = try? PSKKey(bytes: match.key)
            else { return nil }
            identities.withLock { $0[identity.text] = match.deviceID }
            prepare(match.deviceID)
            return key
        }
        var pki: DTLSServerConfiguration.PKI?
        if let certificate = configuration.certificate, let key = configuration.privateKey {
            pki = DTLSServerConfiguration.PKI(certificate: certificate, privateKey: key, trustedCA: configuration.trustedCA) { cert, _ in
                guard let device = directory.deviceID(forCertificateFingerprint: cert.sha256Fingerprint, subject: cert.commonName),
                      !monitor.isLockedOut(deviceID: device)
                else { return nil }
                identities.withLock { $0[device] = device }
                prepare(device)
                return device
            }
        }
        var limits = configuration.dtlsLimits
        limits.failureThreshold = configuration.lockout.threshold
        limits.failureWindow = configuration.lockout.window
        limits.throttleDuration = configuration.lockout.lockout
        serverConfiguration.dtls = DTLSServerConfiguration(
            psk: psk, pki: pki, handshakeTimeout: configuration.handshakeTimeout, limits: limits
        ) { event in
            // A failed handshake proves nothing about the identity it named: claimed, not pinned.
            let claimed = event.identity.flatMap { identity in identities.withLock { $0[identity] } }
            switch event.outcome {
            case .established: break
            case .unknownIdentity:
                monitor.record(.unknownIdentity, source: event.peer, detail: "PSK identity '\(event.identity ?? "")' refused")
            case .timeout:
                monitor.record(.handshakeFailure, claimed: claimed, source: event.peer,
                               detail: "handshake for '\(event.identity ?? "-")' timed out (wrong key?)")
            case .abandoned:
                monitor.record(.handshakeAbandoned, source: event.peer, detail: "handshake abandoned before the client named an identity")
            case .certificateRefused(let why):
                monitor.record(.certificateRefused, source: event.peer, detail: why)
            case .failed(let why):
                monitor.record(.handshakeFailure, claimed: claimed, source: event.peer, detail: why)
            }
        }
        summaries = Locked(nil)
        server = try CoAPServer(configuration: serverConfiguration, router: router, logger: logger)
        serverBox.withLock { $0 = server }
        directory.onChange { devices in
            ingestor.forget(devices: devices)
            for device in devices { prepare(device) }
            // A device that is no longer active loses its live sessions (and observations) now,
            // not when it next handshakes.
            let inactive = Set(devices.filter { directory.device($0)?.isActive != true })
            guard !inactive.isEmpty else { return }
            let server = serverBox.withLock { $0 }
            server?.closeDTLSSessions { identity in
                identities.withLock { $0[identity] }.map(inactive.contains) ?? false
            }
        }
    }

    /// Binds and starts serving without blocking.
    public func start() throws {
        try server.start()
        let monitor = self.monitor
        summaries.withLock { timer in
            guard timer == nil else { return }
            let made = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "securecoap.gateway.security-summaries", qos: .utility))
            made.schedule(deadline: .now() + .seconds(5), repeating: .seconds(5))
            made.setEventHandler { monitor.flush() }
            made.activate()
            timer = made
        }
        for device in directory.deviceIDs() { prepareDevice(device) }
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
    /// and answered (waiting at most ``GatewayConfiguration/shutdownGrace``), then the server
    /// stops. Idempotent.
    public func shutdown() {
        if !ingestor.finish(timeout: configuration.shutdownGrace) {
            logger.warning("readings still uncommitted at shutdown; their senders get no answer and will retry")
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
    public var readingsStored: Int { ingestor.stored.withLock { $0 } }
    /// Durable store transactions since start: fewer than ``readingsStored`` when readings that
    /// arrived together were committed together.
    public var readingCommits: Int { ingestor.commits.withLock { $0 } }

    static func readings(
        _ request: CoAPRequest, requester: String?, directory: any GatewayDirectory, store: ReadingsStore, monitor: SecurityMonitor
    ) -> CoAPResponse {
        guard let device = request.parameters["device"] else { return .status(.notFound) }
        guard let requester, let who = directory.device(requester), who.isActive else {
            return CoAPResponse.status(.unauthorized)
        }
        let path = "/readings/\(device)"
        guard requester == device || who.isAdmin || directory.isAllowed(deviceID: requester, method: "GET", path: path) else {
            monitor.record(.accessDenied, device: requester, source: request.peer, detail: "GET \(path)")
            return CoAPResponse.status(.forbidden)
        }
        let limit = request.queryValue("limit").flatMap(Int.init) ?? 20
        let since = request.queryValue("since").flatMap(Double.init)
        let result: ReadingsStore.QueryResult
        do { result = try store.readings(device: device, since: since, limit: min(max(limit, 1), 1000)) } catch {
            return CoAPResponse.status(.serviceUnavailable)
        }
        let pack = SenMLPack(result.readings.flatMap { $0.measurements.map(\.record) })
        var response = CoAPResponse(code: .content)
        if request.options.accept == .senmlCBOR {
            response.payload = pack.cbor()
            response.options.contentFormat = .senmlCBOR
        } else {
            response.payload = pack.json()
            response.options.contentFormat = .senmlJSON
        }
        return response
    }

    static func health(store: ReadingsStore, probe: HealthProbe, ingestor: ReadingIngestor, started: Date) -> CoAPResponse {
        let check = probe.lastResult()
        let state: HealthReport.Store
        switch ingestor.commitState.withLock({ $0 }) {
        case _ where !check.readable: state = .unavailable
        case .failing(full: true): state = .full
        case .failing(full: false): state = .failing
        case .ok: state = (check.freeBytes ?? Int.max) < HealthReport.lowSpaceBytes ? .full : .ok
        }
        let report = HealthReport(
            store: state, diskFreeBytes: check.freeBytes, uptimeSeconds: Int(Date().timeIntervalSince(started)), durability: store.durability,
            readingsTotal: store.committedTotal, readingsSinceStart: ingestor.stored.withLock { $0 },
            commitsSinceStart: ingestor.commits.withLock { $0 },
            recordsDroppedByAllowList: ingestor.droppedByAllowList.withLock { $0 })
        var response = CoAPResponse(code: .content)
        response.payload = report.json()
        response.options.contentFormat = .json
        return response
    }
}
