public import Logging
public import ServiceLifecycle
import LibCrypto
import Platform

/// A CoAP server: a router's handlers served over UDP by libcoap.
///
/// ```swift
/// var router = CoAPRouter()
/// router.get("/hello") { _ in CoAPResponse(text: "hello") }
/// let server = try CoAPServer(configuration: .init(port: 5683), router: router)
/// try await server.run()   // until graceful shutdown (ServiceLifecycle) or cancellation
/// ```
///
/// The server is a swift-service-lifecycle `Service`. `start()` binds and starts the loop thread
/// without blocking, for callers that manage the lifetime themselves (`shutdown()`).
public final class CoAPServer: Service, Sendable {
    public let configuration: Configuration
    let context: LibCoAPContext
    private let router: CoAPRouter
    private let logger: Logger
    private let state = Locked(State())

    private struct State {
        var started = false
        var stopped = false
        var addresses: [CoAPPeerAddress] = []
        var dtlsAddresses: [CoAPPeerAddress] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public init(configuration: Configuration = Configuration(), router: CoAPRouter, logger: Logger = Logger(label: "coap.server")) throws {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.context = try LibCoAPContext(logger: logger)
    }

    deinit { context.loop.shutdown() }

    /// Binds the socket, installs the routes and starts serving. Idempotent.
    public func start() throws {
        try state.withLock { state in
            guard !state.started else { return }
            (state.addresses, state.dtlsAddresses) = try bindAndStart()
            state.started = true
        }
    }

    private func bindAndStart() throws -> (plain: [CoAPPeerAddress], dtls: [CoAPPeerAddress]) {
        try configuration.limits.validate()
        let binding = ServerState(
            context: context, router: router, limits: configuration.limits, counters: configuration.counters, logger: logger)
        context.server = binding
        binding.installResources()
        var plain: [CoAPPeerAddress] = []
        var secure: [CoAPPeerAddress] = []
        if configuration.plainCoAP {
            let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
            let bound = try binding.listen(on: address, proto: COAPProto.udp)
            logger.info("CoAP server listening", metadata: ["coap.address": "\(bound)"])
            plain.append(bound.peer)
        }
        if let dtls = configuration.dtls {
            let address = try SocketAddress.resolve(host: configuration.host, port: configuration.dtlsPort)
            try binding.configureDTLS(dtls, ipv6: address.isIPv6)
            let bound = try binding.listen(on: address, proto: COAPProto.dtls)
            logger.info("CoAP server listening (DTLS)", metadata: ["coap.address": "\(bound)"])
            secure.append(bound.peer)
        }
        guard !plain.isEmpty || !secure.isEmpty else {
            throw CoAPError(.invalidConfiguration, "the server has neither plain CoAP nor DTLS switched on")
        }
        try context.start(name: "coap-server")
        return (plain, secure)
    }

    /// The plain-CoAP addresses the server listens on (known after `start()`), with the actual
    /// ports.
    public var localAddresses: [CoAPPeerAddress] { state.withLock { $0.addresses } }

    /// The DTLS addresses the server listens on (known after `start()`).
    public var dtlsLocalAddresses: [CoAPPeerAddress] { state.withLock { $0.dtlsAddresses } }

    /// What the DTLS endpoint's front door and handshakes have seen, and what peers hold now;
    /// nil without DTLS.
    public var dtlsStatistics: DTLSServerStatistics? { configuration.dtls?.counters.snapshot }

    /// What the caps on peers (``CoAPServerLimits``) have refused, and what peers hold now.
    public var statistics: CoAPServerStatistics { configuration.counters.snapshot }

    /// The UDP port of the first DTLS address (after `start()`).
    public var dtlsPort: UInt16? { dtlsLocalAddresses.first?.port }

    /// The UDP port of the first listening address (after `start()`).
    public var port: UInt16? { localAddresses.first?.port }

    /// Serves until graceful shutdown is triggered or the task is cancelled, then stops.
    public func run() async throws {
        try start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await waitUntilStopped()
            } onGracefulShutdown: {
                self.shutdown()
            }
        } onCancel: {
            self.shutdown()
        }
    }

    /// Stops serving and releases the socket, sessions and thread. Idempotent.
    public func shutdown() {
        context.loop.shutdown()
        let waiters = state.withLock { (s: inout State) -> [CheckedContinuation<Void, Never>] in
            s.stopped = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the server has stopped (``shutdown()``, by anyone).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { (s: inout State) -> Bool in
                if s.stopped { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    /// Closes the DTLS sessions whose authenticated identity (PSK identity, or what a certificate
    /// mapped to) `matches`, and drops their observations: for a device that was just suspended
    /// or revoked. The peer must handshake again, and the server's key lookup decides then.
    /// Returns at once; the sessions close on the loop thread within milliseconds.
    public func closeDTLSSessions(where matches: @escaping @Sendable (String) -> Bool) {
        let context = self.context
        let logger = self.logger
        _ = context.loop.executeIfRunning {
            let closed = context.server?.closeSessions(where: matches) ?? 0
            if closed > 0 { logger.notice("DTLS sessions closed", metadata: ["dtls.sessions": "\(closed)"]) }
        }
    }


    /// Gives a concrete path of an observable templated route (`/readings/dev-1` for
    /// `/readings/{device}`) a resource of its own, so that it is listed in `/.well-known/core`
    /// and can be observed from its first request. Paths that are not declared become resources
    /// on their first request; a registration that arrives before that is answered without
    /// Observe (RFC 7641 lets a server decline) and the next one registers.
    public func materialize(path: String) {
        let context = self.context
        _ = context.loop.executeIfRunning { context.server?.materialize(path: path) }
    }

    /// Tells the observers of `path` that it changed: each gets a notification built by the
    /// route's GET handler. For a templated route (`/readings/{device}`), `path` is concrete.
    public func notifyObservers(of path: String) {
        let context = self.context
        _ = context.loop.executeIfRunning { context.server?.notifyObservers(of: path) }
    }

    /// Notifies the observers of several paths: one hand-over to the loop for all of them.
    public func notifyObservers(of paths: [String]) {
        guard !paths.isEmpty else { return }
        let context = self.context
        _ = context.loop.executeIfRunning {
            for path in paths { context.server?.notifyObservers(of: path) }
        }
    }
}
