internal import CLibCoAP
import Logging
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// The server side of a libcoap context: listening endpoints, a libcoap resource per route (and
/// per concrete path of an observable templated route), request dispatch to the router's handlers,
/// late answers, block-wise request bodies and the DTLS endpoint with its front door.
///
/// Literal routes become libcoap resources at start (so libcoap lists them in `/.well-known/core`
/// and answers 4.05 for other methods). Templated routes are served by libcoap's unknown-resource
/// handler. libcoap cannot observe the unknown resource, so a concrete path of an observable
/// templated route becomes a resource of its own when the owner declares it
/// (`CoAPServer.materialize(path:)`), when it is notified, or on its first request; a registration
/// that arrives before that is answered without Observe (RFC 7641 §4.1 lets a server decline).
///
/// `@unchecked Sendable`: loop thread only (and the set-up before the loop starts). Handler tasks
/// capture it; they prefer the loop as their executor, so what of theirs touches it runs there.
final class ServerState: @unchecked Sendable {
    unowned let context: LibCoAPContext
    var loop: CoAPLoop { context.loop }
    let router: CoAPRouter
    let limits: CoAPServerLimits
    let counters: CoAPServerCounters
    let logger: Logger

    private(set) var resources: [String: BoundResource] = [:]
    private var listeners: [OpaquePointer] = []
    /// Formatted peer addresses per server session (see `peer(of:)`).
    private var peerCache: [OpaquePointer: (address: coap_address_t, peer: CoAPPeerAddress)] = [:]
    /// Request bodies arriving block by block.
    var bodies: BlockwiseRequestBodies
    /// The observers registered, counted against the caps.
    var observers: ObserverRegistrations
    /// Set once the loop has torn the server down: late answers go nowhere.
    private(set) var isStopped = false

    // Late answers (ServerState+Answers).
    /// Requests answered late whose answer has not gone yet, by message: a copy of one is not
    /// processed again.
    var lateAnswers: [RequestMessageKey: LateAnswer] = [:]
    /// Confirmable requests whose ACK is held back, oldest first.
    var heldAcks = HeldAcks()
    var ackSweep: LoopTimer?

    // DTLS (ServerState+DTLS).
    var dtls: DTLSServerConfiguration?
    /// Hint and PEM bytes libcoap points into for the context's lifetime.
    let dtlsMemory = CMemory()
    /// The key handed back from the PSK lookup (libcoap copies it before the next lookup).
    let pskScratch = UnsafeMutablePointer<coap_bin_const_t>.allocate(capacity: 1)
    let pskScratchBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: PSKKey.maximumLength)
    /// What the loop knows about each server DTLS session.
    var dtlsSessions: [OpaquePointer: DTLSSessionState] = [:]
    /// The DTLS endpoint's front door (see ``DTLSAdmission``), once the DTLS endpoint listens.
    var admission: DTLSAdmission?
    /// libcoap's DTLS SSL_CTX, found when DTLS is configured.
    var dtlsSSLContext: OpaquePointer?
    /// Handshake refusals, logged a few per source and interval (a flood must not flood the log).
    var handshakeLog = LogThrottle()
    var housekeeping: LoopTimer?
    static let housekeepingSeconds = 10.0

    init(context: LibCoAPContext, router: CoAPRouter, limits: CoAPServerLimits, counters: CoAPServerCounters, logger: Logger) {
        self.context = context
        self.router = router
        self.limits = limits
        self.counters = counters
        self.bodies = BlockwiseRequestBodies(limits: limits)
        self.observers = ObserverRegistrations(limits: limits)
        self.logger = logger
    }

    deinit {
        pskScratchBytes.update(repeating: 0, count: PSKKey.maximumLength)
        pskScratchBytes.deallocate()
        pskScratch.deallocate()
    }

    // MARK: Resources

    /// Creates the resources for literal routes and the unknown-resource handler for templates.
    func installResources() {
        // libcoap answers Block2 requests for large responses; request bodies arriving with
        // Block1 are handed over block by block and put together here, within `limits`
        // (libcoap's single-body mode reserves what a client announces, and has no limit).
        coap_context_set_block_mode(context.context, UInt8(COAP_BLOCK_USE_LIBCOAP))
        for (index, route) in router.routes.enumerated() where route.template.isLiteral {
            addResource(path: route.template.description, routeIndex: index, parameters: [:])
        }
        // The unknown resource serves templated routes and answers 4.04 for unknown paths.
        let unknown = coap_resource_unknown_init2(libcoapResourceHandler, 0)!
        for m in CoAPMethod.all {
            coap_register_request_handler(unknown, coap_request_t(rawValue: UInt32(m.rawValue)), libcoapResourceHandler)
        }
        coap_add_resource(context.context, unknown)
        scheduleHousekeeping()
    }

    @discardableResult
    private func addResource(path: String, routeIndex: Int, parameters: [String: String]) -> BoundResource {
        let route = router.routes[routeIndex]
        let uri = String(path.dropFirst())
        let name = uri.withCString { p in coap_new_str_const(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), strlen(p)) }
        let resource = coap_resource_init(name, Int32(COAP_RESOURCE_FLAGS_RELEASE_URI))!
        for method in route.responders.keys {
            coap_register_request_handler(resource, coap_request_t(rawValue: UInt32(method.rawValue)), libcoapResourceHandler)
        }
        for (attr, value) in route.attributes.linkAttributes {
            coap_add_attr(resource, Self.newString(attr), value.map(Self.newString),
                          Int32(COAP_ATTR_FLAGS_RELEASE_NAME | COAP_ATTR_FLAGS_RELEASE_VALUE))
        }
        if route.attributes.observable { coap_resource_set_get_observable(resource, 1) }
        let bound = BoundResource(resource: resource, routeIndex: routeIndex, parameters: parameters, path: path)
        coap_resource_set_userdata(resource, Unmanaged.passUnretained(bound).toOpaque())
        coap_add_resource(context.context, resource)
        resources[path] = bound
        return bound
    }

    private static func newString(_ s: String) -> UnsafeMutablePointer<coap_str_const_t> {
        s.withCString { p in coap_new_str_const(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), strlen(p)) }
    }

    /// Gives a concrete path of an observable templated route a resource of its own.
    @discardableResult
    func materialize(path: String) -> BoundResource? {
        let segments = CoAPRequest.segments(of: path)
        let normalized = "/" + segments.joined(separator: "/")
        if let existing = resources[normalized] { return existing }
        guard let (index, parameters) = router.matchTemplated(segments), router.routes[index].attributes.observable else { return nil }
        return addResource(path: normalized, routeIndex: index, parameters: parameters)
    }

    /// Asks libcoap to notify the observers of a path (sent when the loop next prepares).
    func notifyObservers(of path: String) {
        if let bound = resources[path] ?? materialize(path: path) {
            coap_resource_notify_observers(bound.resource, nil)
        }
    }

    // MARK: Listening

    /// Opens a listening endpoint; returns the address actually bound (port 0 picks one).
    func listen(on address: SocketAddress, proto: coap_proto_t) throws(CoAPError) -> SocketAddress {
        var a = address.coapAddress
        let descriptorsBefore = proto == COAP_PROTO_DTLS ? SocketDescriptors.open() : []
        guard let ep = coap_new_endpoint(context.context, &a, proto) else {
            throw CoAPError(.bindFailed, "cannot listen on \(address) (\(proto == COAP_PROTO_DTLS ? "DTLS" : "UDP")): address in use or not available")
        }
        listeners.append(ep)
        var bound = address
        // "127.0.0.1:5683 UDP" / "[::1]:5684 DTLS"
        if let text = LibCoAPRuntime.describe(ep), let colon = text.split(separator: " ").first?.lastIndex(of: ":"),
           let port = UInt16(text[text.index(after: colon)...].prefix { $0.isNumber })
        {
            bound = try SocketAddress.resolve(host: address.host, port: port)
        }
        if proto == COAP_PROTO_DTLS {
            // The UDP socket bound to the port, or (when another of this process's is bound to
            // it too) the one that was not open before. Descriptor numbers are reused at once, so
            // "not open before" alone is not enough while other threads open and close files.
            let boundToPort = SocketDescriptors.udp(boundTo: bound.port, among: SocketDescriptors.open())
            let sockets = boundToPort.count == 1 ? boundToPort : boundToPort.filter { !descriptorsBefore.contains($0) }
            guard sockets.count == 1, let socket = sockets.first else {
                throw CoAPError(.bindFailed, "cannot find the socket libcoap opened for \(bound) (DTLS): its front door cannot run")
            }
            try openFrontDoor(socket: socket)
        }
        return bound
    }

    /// The loop is stopping: late answers and transfers go, the front door closes. libcoap frees
    /// the resources, endpoints and sessions with the context, right after.
    func tearDown() {
        isStopped = true
        for answer in lateAnswers.values { answer.release() }
        lateAnswers.removeAll()
        _ = heldAcks.removeAll()
        ackSweep = nil
        if let admission, let dtlsSSLContext { admission.removeCookieCallbacks(from: dtlsSSLContext) }
        admission = nil
        housekeeping = nil
        for state in dtlsSessions.values { state.timer?.cancel() }
        resources.removeAll()
        listeners.removeAll()
    }

    // MARK: Dispatch

    func dispatch(resource: OpaquePointer?, session: OpaquePointer, requestPDU: OpaquePointer, responsePDU: OpaquePointer) {
        if !lateAnswers.isEmpty, isCopyOfLateRequest(session: session, request: requestPDU, response: responsePDU) { return }
        var options = LibCoAPPDU.options(of: requestPDU)
        let method = CoAPMethod(rawValue: LibCoAPPDU.code(of: requestPDU))
        let handler: CoAPRouter.Responder
        var parameters: [String: String] = [:]
        if let resource, let raw = coap_resource_get_userdata(resource) {
            let bound = Unmanaged<BoundResource>.fromOpaque(raw).takeUnretainedValue()
            guard let h = router.routes[bound.routeIndex].responders[method] else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.methodNotAllowed.rawValue))
                return
            }
            handler = h
            parameters = bound.parameters
        } else {
            // The unknown resource: templated routes, else 4.04. (A literal route's request never
            // needs its path as strings.)
            let segments = options.uriPath
            guard let (index, params) = router.matchTemplated(segments) else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.notFound.rawValue))
                return
            }
            guard let h = router.routes[index].responders[method] else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.methodNotAllowed.rawValue))
                return
            }
            if router.routes[index].attributes.observable {
                // Later requests (and observations) reach a resource of its own.
                materialize(path: "/" + segments.joined(separator: "/"))
            }
            handler = h
            parameters = params
        }
        guard let payload = takeBody(&options, session: session, requestPDU: requestPDU, responsePDU: responsePDU) else { return }

        var request = CoAPRequest(method: method)
        request.options = options
        request.type = LibCoAPPDU.type(of: requestPDU)
        request.token = LibCoAPPDU.token(of: requestPDU)
        request.payload = payload
        request.parameters = parameters
        request.peer = peer(of: session)
        request.identity = authenticatedIdentity(of: session)
        // libcoap asks for notifications while the loop prepares (and sends them CON or NON
        // itself): their answer cannot wait.
        let isNotification = loop.isPreparing || coap_pdu_get_type(responsePDU) == COAP_MESSAGE_CON
        var registration: ObserverRegistrations.Key?
        if !isNotification, let observer = observerKey(request, resource: resource, session: session) {
            switch countObserver(observer, action: request.options.observe, session: session) {
            case .registered: registration = observer
            case .declined:
                declineObserver(observer, session: session, requestPDU: requestPDU, responsePDU: responsePDU)
                return
            case nil: break
            }
        }
        answer(request, with: handler, resource: resource, session: session, requestPDU: requestPDU, responsePDU: responsePDU,
               isNotification: isNotification)
        if let registration, LibCoAPPDU.code(of: responsePDU) >> 5 > 2 {
            // libcoap drops an observer whose registration is answered with an error.
            observers.remove(registration)
            publishCounts()
        }
    }

    /// The observer a GET or FETCH with Observe names, on an observable resource.
    private func observerKey(_ request: CoAPRequest, resource: OpaquePointer?, session: OpaquePointer) -> ObserverRegistrations.Key? {
        guard request.options.observe != nil, request.method == .get || request.method == .fetch,
              let resource, let raw = coap_resource_get_userdata(resource)
        else { return nil }
        let bound = Unmanaged<BoundResource>.fromOpaque(raw).takeUnretainedValue()
        guard router.routes[bound.routeIndex].attributes.observable else { return nil }
        return ObserverRegistrations.Key(session: UInt(bitPattern: session), token: request.token, path: bound.path)
    }

    /// Counts the registration (Observe 0) or deregistration (Observe 1) libcoap has just carried
    /// out; nil for a deregistration.
    private func countObserver(_ key: ObserverRegistrations.Key, action: UInt32?, session: OpaquePointer) -> ObserverRegistrations.Outcome? {
        defer { publishCounts() }
        guard action == 0 else {
            observers.remove(key)
            return nil
        }
        return observers.register(key, host: coap_session_get_addr_remote(session).flatMap { PeerKey($0)?.host })
    }

    /// A registration over a cap. RFC 7641 §4.1 would answer it without Observe, but libcoap 4.3.1
    /// has added the observer before the handler runs and exports nothing to take it back (its
    /// `coap_delete_observer` and `coap_remove_option` are internal): an error answer is the one
    /// way to make it drop the observer. So: 5.03 with Max-Age, and the reason.
    private func declineObserver(_ key: ObserverRegistrations.Key, session: OpaquePointer, requestPDU: OpaquePointer, responsePDU: OpaquePointer) {
        counters.update { $0.observersDeclined += 1 }
        logger.debug("observer declined: a cap is reached", metadata: ["coap.path": "\(key.path)", "coap.observers": "\(observers.count)"])
        var response = CoAPResponse.status(.serviceUnavailable)
        response.options.maxAge = Self.observerRetrySeconds
        response.payload = Array("too many observers; try later".utf8)
        write(response, into: responsePDU, resource: nil, session: session, request: requestPDU, query: nil, forceLarge: false)
    }

    /// The Max-Age of a declined registration: when to try again.
    static let observerRetrySeconds: UInt32 = 60

    /// What peers hold now, for ``CoAPServer/statistics``.
    func publishCounts() {
        let observerCount = observers.count, transferCount = bodies.count
        counters.update {
            $0.observers = observerCount
            $0.blockTransfers = transferCount
        }
    }

    /// A request's body: whole, when it came in one datagram or this was the last block of a
    /// block-wise transfer (its Block1 and Size1 options then removed); nil when the request is
    /// answered here already (2.31 Continue for a block, or a refusal).
    private func takeBody(_ options: inout CoAPOptions, session: OpaquePointer, requestPDU: OpaquePointer, responsePDU: OpaquePointer) -> [UInt8]? {
        let data = LibCoAPPDU.payload(of: requestPDU)
        // A body in one datagram is bounded by the datagram (libcoap reads at most one PDU), and
        // the route's handler judges its size.
        guard let block = options.block1 else { return data }
        let key = BlockwiseRequestBodies.Key(
            session: UInt(bitPattern: session), path: "/" + options.uriPath.joined(separator: "/"),
            requestTag: options.first(.requestTag)?.value ?? [])
        let host = coap_session_get_addr_remote(session).flatMap { PeerKey($0)?.host }
        let outcome = bodies.receive(data, block: block, size1: options.first(.size1)?.uintValue, key: key, host: host, now: monotonicNanoseconds())
        publishCounts()
        switch outcome {
        case .continuing:
            // libcoap has put the Block1 option in the answer.
            coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.continue.rawValue))
            return nil
        case .complete(let body):
            options.remove(.block1)
            options.remove(.size1)
            return body
        case .refused(let code, let message, let size1):
            if code == .serviceUnavailable { counters.update { $0.blockTransfersRefused += 1 } }
            refuseBody(code, message, size1: size1, response: responsePDU)
            return nil
        }
    }

    /// Answers a request whose body is refused: the code, Size1 (the limit) when the body is too
    /// large (RFC 7959 §2.9.3), and the reason. For a block with more to follow, libcoap has put
    /// the request's own Block1 option in the answer already; its block size is the one the client
    /// used, so it does not read as a request for smaller blocks.
    private func refuseBody(_ code: CoAPResponseCode, _ message: String, size1: Int?, response: OpaquePointer) {
        coap_pdu_set_code(response, LibCoAPPDU.pduCode(code.rawValue))
        if let size1 {
            var value = [UInt8](repeating: 0, count: 4)
            let length = coap_encode_var_safe(&value, 4, UInt32(clamping: size1))
            coap_add_option(response, UInt16(COAP_OPTION_SIZE1), Int(length), value)
        }
        let text = Array(message.utf8)
        text.withUnsafeBufferPointer { _ = coap_add_data(response, $0.count, $0.baseAddress) }
        logger.debug("request body refused", metadata: ["coap.code": "\(code)", "reason": "\(message)"])
    }

    /// libcoap is freeing a server session: what was kept for it goes (its pointer may be reused).
    func sessionDeleted(_ session: OpaquePointer) {
        bodies.removeAll(session: UInt(bitPattern: session))
        observers.removeAll(session: UInt(bitPattern: session))
        publishCounts()
        peerCache.removeValue(forKey: session)
    }

    /// The peer of a server session, formatted once per session: `inet_ntop` on every request is
    /// costly. The cache entry is checked against the session's raw address, so a session pointer
    /// that libcoap reuses for another peer is never confused.
    func peer(of session: OpaquePointer) -> CoAPPeerAddress? {
        guard let remote = coap_session_get_addr_remote(session) else { return nil }
        if let cached = peerCache[session], Self.sameAddress(cached.address, remote) { return cached.peer }
        let peer = SocketAddress(remote).peer
        if peerCache.count > 50_000 { peerCache.removeAll(keepingCapacity: true) }
        peerCache[session] = (remote.pointee, peer)
        return peer
    }

    /// Compares the bytes that hold the address (not the union's padding), without allocating.
    private static func sameAddress(_ cached: coap_address_t, _ remote: UnsafePointer<coap_address_t>) -> Bool {
        guard cached.size == remote.pointee.size else { return false }
        return withUnsafeBytes(of: cached.addr) { mine in
            withUnsafeBytes(of: remote.pointee.addr) { theirs in memcmp(mine.baseAddress!, theirs.baseAddress!, Int(cached.size)) == 0 }
        }
    }

    /// Every ``housekeepingSeconds``: idle block-wise transfers and front-door addresses go, and
    /// the handshake refusals not logged one by one are summed up.
    func scheduleHousekeeping() {
        housekeeping = loop.schedule(after: Self.housekeepingSeconds) { [unowned self] in
            let now = monotonicNanoseconds()
            self.bodies.expire(now: now)
            self.publishCounts()
            self.admission?.prune(now: now)
            for summary in self.handshakeLog.drain(now: now) {
                self.logger.notice("DTLS handshakes refused (not logged one by one)", metadata: [
                    "dtls.source": "\(summary.key)", "dtls.refused": "\(summary.suppressed)",
                    "dtls.interval_s": "\(Int(summary.interval.seconds))",
                ])
            }
            LibCoAPRuntime.reportHeldBackMessages()
            self.scheduleHousekeeping()
        }
    }
}
