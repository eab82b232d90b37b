internal import CLibCoAP
import Logging
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// A libcoap resource bound to a route, for one concrete path.
final class BoundResource {
    let resource: OpaquePointer
    let routeIndex: Int
    let parameters: [String: String]
    let path: String

    init(resource: OpaquePointer, routeIndex: Int, parameters: [String: String], path: String) {
        self.resource = resource
        self.routeIndex = routeIndex
        self.parameters = parameters
        self.path = path
    }
}

/// The server side of an endpoint: listening sockets, libcoap resources for the router's routes,
/// and request dispatch. Loop thread only.
///
/// Literal routes become libcoap resources at start (so libcoap lists them in
/// `/.well-known/core` and answers 4.05 for other methods). Templated routes are served by
/// libcoap's unknown-resource handler. libcoap cannot observe the unknown resource (it never
/// checks it for notifications), so a concrete path of an observable templated route becomes a
/// resource of its own when the owner declares it (`CoAPServer.materialize(path:)`), when it is
/// notified, or on its first request. A registration that arrives before any of these is
/// answered without an Observe option (RFC 7641 §4.1 lets a server decline), and the next one
/// registers.
final class ServerBinding {
    unowned let endpoint: LibCoAPEndpoint
    let router: CoAPRouter
    let logger: Logger
    /// DTLS settings, when the server has a DTLS endpoint.
    var dtls: DTLSServerConfiguration?
    /// Hint and PEM bytes libcoap points into for the context's lifetime.
    let dtlsMemory = CMemory()
    /// The key handed back from the PSK lookup (libcoap copies it before the next lookup).
    let pskScratch = UnsafeMutablePointer<coap_bin_const_t>.allocate(capacity: 1)
    let pskScratchBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: PSKKey.maximumLength)
    /// Formatted peer addresses per server session (see `peer(of:)`).
    private var peerCache: [OpaquePointer: (address: coap_address_t, peer: CoAPPeerAddress)] = [:]
    private(set) var resources: [String: BoundResource] = [:]

    /// Confirmable requests answered by deferrable handlers whose ACK is still held back, and the
    /// timer that acknowledges those held too long (see `holdAck`).
    var heldAcks = HeldAcks()
    var ackSweep: LoopTimer?
    /// The held requests by session and message ID: a retransmitted copy is absorbed (see
    /// `isDuplicateOfHeldRequest`).
    var heldAckIDs: [HeldRequestKey: UInt64] = [:]

    private var listeners: [OpaquePointer] = []
    private(set) var boundAddresses: [SocketAddress] = []

    /// The DTLS endpoint's front door (see ``DTLSAdmission``), once the DTLS endpoint listens.
    var admission: DTLSAdmission?
    /// libcoap's DTLS SSL_CTX, found when DTLS is configured (see `findDTLSContext`).
    var dtlsSSLContext: OpaquePointer?
    /// Handshake refusals, logged a few per source and interval (a flood must not flood the log).
    var handshakeLog = LogThrottle()
    /// Forgets idle addresses and summarises throttled log lines, every ``housekeepingSeconds``.
    var housekeeping: LoopTimer?
    static let housekeepingSeconds = 10.0

    /// Request bodies: the largest one, and the block-wise transfers in progress.
    let limits: CoAPServerLimits
    var bodies: BlockwiseRequestBodies

    init(endpoint: LibCoAPEndpoint, router: CoAPRouter, limits: CoAPServerLimits, logger: Logger) {
        self.endpoint = endpoint
        self.router = router
        self.limits = limits
        self.bodies = BlockwiseRequestBodies(limits: limits)
        self.logger = logger
    }

    deinit {
        pskScratchBytes.update(repeating: 0, count: PSKKey.maximumLength)
        pskScratchBytes.deallocate()
        pskScratch.deallocate()
    }

    /// Creates the resources for literal routes and the unknown-resource handler for templates.
    func installResources() {
        // libcoap answers Block2 requests for large responses; request bodies arriving with
        // Block1 are handed over block by block and put together here, within `limits`
        // (libcoap's single-body mode reserves what a client announces, and has no limit).
        coap_context_set_block_mode(endpoint.context, UInt8(COAP_BLOCK_USE_LIBCOAP))
        scheduleHousekeeping()
        for (index, route) in router.routes.enumerated() where route.template.isLiteral {
            let path = route.template.description
            addResource(path: path, routeIndex: index, parameters: [:])
        }
        // The unknown resource serves templated routes and answers 4.04 for unknown paths with
        // every method.
        let unknown = coap_resource_unknown_init2(libcoapResourceHandler, 0)!
        for m in CoAPMethod.all {
            coap_register_request_handler(unknown, coap_request_t(rawValue: UInt32(m.rawValue)), libcoapResourceHandler)
        }
        coap_add_resource(endpoint.context, unknown)
    }

    @discardableResult
    private func addResource(path: String, routeIndex: Int, parameters: [String: String]) -> BoundResource {
        let route = router.routes[routeIndex]
        let uri = String(path.dropFirst())
        let name = uri.withCString { p in coap_new_str_const(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), strlen(p)) }
        let resource = coap_resource_init(name, Int32(COAP_RESOURCE_FLAGS_RELEASE_URI))!
        for method in route.handlers.keys {
            coap_register_request_handler(resource, coap_request_t(rawValue: UInt32(method.rawValue)), libcoapResourceHandler)
        }
        for (attr, value) in route.attributes.linkAttributes {
            let n = Self.newString(attr)
            let v = value.map(Self.newString)
            coap_add_attr(resource, n, v, Int32(COAP_ATTR_FLAGS_RELEASE_NAME | COAP_ATTR_FLAGS_RELEASE_VALUE))
        }
        if route.attributes.observable {
            coap_resource_set_get_observable(resource, 1)
        }
        let bound = BoundResource(resource: resource, routeIndex: routeIndex, parameters: parameters, path: path)
        coap_resource_set_userdata(resource, Unmanaged.passUnretained(bound).toOpaque())
        coap_add_resource(endpoint.context, resource)
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
        guard let (index, parameters) = router.matchTemplated(segments),
            router.routes[index].attributes.observable
        else { return nil }
        return addResource(path: normalized, routeIndex: index, parameters: parameters)
    }

    /// Asks libcoap to notify the observers of a path (sent on the next loop turn).
    func notifyObservers(of path: String) {
        // A normalized path ("/readings/x") is found as is: no splitting per stored reading.
        if let bound = resources[path] ?? materialize(path: path) {
            coap_resource_notify_observers(bound.resource, nil)
        }
    }

    /// Opens a listening endpoint; returns the address actually bound (port 0 picks one).
    func listen(on address: SocketAddress, proto: coap_proto_t) throws(CoAPError) -> SocketAddress {
        var a = address.coapAddress
        let descriptorsBefore = proto == COAP_PROTO_DTLS ? SocketDescriptors.open() : []
        guard let ep = coap_new_endpoint(endpoint.context, &a, proto) else {
            throw CoAPError(.bindFailed, "cannot listen on \(address) (\(proto == COAP_PROTO_DTLS ? "DTLS" : "UDP")): address in use or not available")
        }
        listeners.append(ep)
        var bound = address
        // "127.0.0.1:5683 UDP" / "[::1]:5684 DTLS"
        if let text = LibCoAPRuntime.describe(ep) {
            if let colon = text.split(separator: " ").first?.lastIndex(of: ":"),
                let port = UInt16(text[text.index(after: colon)...].prefix { $0.isNumber })
            {
                bound = try SocketAddress.resolve(host: address.host, port: port)
            }
        }
        boundAddresses.append(bound)
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

    func tearDown() {
        if let admission, let dtlsSSLContext { admission.removeCookieCallbacks(from: dtlsSSLContext) }
        admission = nil
        housekeeping?.cancel()
        housekeeping = nil
        resources.removeAll()
        listeners.removeAll()
        heldAcks.removeAll()
        heldAckIDs.removeAll()
        ackSweep = nil
    }

    // MARK: - Dispatch

    func dispatch(
        resource: OpaquePointer?, session: OpaquePointer, requestPDU: OpaquePointer,
        responsePDU: OpaquePointer
    ) {
        if !heldAckIDs.isEmpty, isDuplicateOfHeldRequest(session: session, request: requestPDU, response: responsePDU) { return }
        var options = LibCoAPPDU.options(of: requestPDU)
        let handler: CoAPRouter.RouteHandler
        var parameters: [String: String] = [:]
        let servingResource = resource
        let method = CoAPMethod(rawValue: LibCoAPPDU.code(of: requestPDU))

        if let resource, let raw = coap_resource_get_userdata(resource) {
            let bound = Unmanaged<BoundResource>.fromOpaque(raw).takeUnretainedValue()
            guard let h = router.routes[bound.routeIndex].handlers[method] else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.methodNotAllowed.rawValue))
                return
            }
            handler = h
            parameters = bound.parameters
        } else {
            // The unknown resource: templated routes, else 4.04. (A literal route's request
            // never needs its path as strings.)
            let segments = options.uriPath
            guard let (index, params) = router.matchTemplated(segments) else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.notFound.rawValue))
                return
            }
            guard let h = router.routes[index].handlers[method] else {
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
        request.identity = endpoint.authenticatedIdentity(of: session)

        let requestHasBlock2 = options.contains(.block2)
        let handlerBody: CoAPRouter.Handler
        switch handler {
        case .synchronous(let body):
            let response: CoAPResponse
            do { response = try body(request) } catch {
                logger.error("handler failed; answering 5.00", metadata: [
                    "coap.method": "\(request.method)", "coap.path": "\(request.path)", "error": "\(error)",
                ])
                response = CoAPResponse.status(.internalServerError)
            }
            write(response, into: responsePDU, resource: servingResource, session: session, request: requestPDU,
                  query: nil, forceLarge: requestHasBlock2)
            return
        case .deferrable(let body):
            endpoint.nextDeferredID &+= 1
            let responder = CoAPDeferredResponse(endpoint: endpoint, id: endpoint.nextDeferredID)
            if let response = body(request, responder) {
                write(response, into: responsePDU, resource: servingResource, session: session, request: requestPDU,
                      query: nil, forceLarge: requestHasBlock2)
                return
            }
            // Answered later. `responder.send` answers on the loop after this returns, so the
            // record is in place before it is looked up. A confirmable request's ACK is held
            // back (see `holdAck`): the answer normally rides on it, as a GET's would.
            guard let detached = DetachedResponse(session: session, request: requestPDU, resource: servingResource) else {
                coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.internalServerError.rawValue))
                return
            }
            endpoint.deferredResponses[responder.id] = detached
            if request.type == .confirmable {
                holdAck(of: detached, id: responder.id, response: responsePDU)
            }
            return
        case .async(let body):
            handlerBody = body
        }

        let slot = ResponseSlot()
        let logger = self.logger
        let sendable = request
        Task.immediate {
            let response: CoAPResponse
            do {
                response = try await handlerBody(sendable)
            } catch {
                logger.error("handler failed; answering 5.00", metadata: [
                    "coap.method": "\(sendable.method)", "coap.path": "\(sendable.path)", "error": "\(error)",
                ])
                response = CoAPResponse.status(.internalServerError)
            }
            slot.complete(response)
        }

        if let response = slot.takeIfDone() {
            write(response, into: responsePDU, resource: servingResource, session: session, request: requestPDU,
                  query: nil, forceLarge: requestHasBlock2)
            return
        }
        // The handler suspended: libcoap sends an empty ACK now (CON) and we answer separately.
        logger.debug("handler suspended; answering separately", metadata: ["coap.path": "\(request.path)"])
        guard let detached = DetachedResponse(session: session, request: requestPDU, resource: servingResource) else {
            coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.internalServerError.rawValue))
            return
        }
        let id = ObjectIdentifier(detached)
        let ep = endpoint
        let finishedMeanwhile = slot.takeOrDetach { response in
            ep.execute {
                guard let detached = ep.detachedResponseRecords.removeValue(forKey: id) else { return }
                ep.server?.sendSeparate(response, for: detached)
                detached.release()
            }
        }
        if let response = finishedMeanwhile {
            detached.release()
            write(response, into: responsePDU, resource: servingResource, session: session, request: requestPDU,
                  query: nil, forceLarge: requestHasBlock2)
            return
        }
        endpoint.detachedResponseRecords[id] = detached
    }

    /// A request's body: whole, when it came in one datagram or this was the last block of a
    /// block-wise transfer (its Block1 and Size1 options then removed); nil when the request is
    /// answered here already (2.31 Continue for a block, or a refusal).
    private func takeBody(_ options: inout CoAPOptions, session: OpaquePointer, requestPDU: OpaquePointer, responsePDU: OpaquePointer) -> [UInt8]? {
        let data = LibCoAPPDU.payload(of: requestPDU)
        // A body in one datagram is bounded by the datagram (libcoap reads at most one PDU), and
        // the route's handler judges its size.
        guard let block = options.block1 else { return data }
        let size1 = options.first(.size1)?.uintValue
        let key = BlockwiseRequestBodies.Key(
            session: UInt(bitPattern: session), path: "/" + options.uriPath.joined(separator: "/"),
            requestTag: options.first(.requestTag)?.value ?? [])
        let host = coap_session_get_addr_remote(session).flatMap { PeerKey($0)?.host }
        switch bodies.receive(data, block: block, size1: size1, key: key, host: host, now: monotonicNanoseconds()) {
        case .continuing:
            // libcoap has put the Block1 option in the answer.
            coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.continue.rawValue))
            return nil
        case .complete(let body):
            options.remove(.block1)
            options.remove(.size1)
            return body
        case .refused(let code, let message, let size1):
            refuseBody(code, message, size1: size1, response: responsePDU)
            return nil
        }
    }

    /// Answers a request whose body is refused: the code, Size1 (the limit) when the body is too
    /// large (RFC 7959 §2.9.3), and the reason. For a block with more to follow, libcoap has put
    /// the request's own Block1 option in the answer already; its block size is the one the
    /// client used, so it does not read as a request for smaller blocks.
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
        peerCache.removeValue(forKey: session)
    }

    /// The peer of a server session, formatted once per session: `inet_ntop` on every request
    /// cost ~15% of the server's instructions. The cache entry is checked against the session's
    /// raw address, so a session pointer that libcoap reuses for another peer is never confused.
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
            withUnsafeBytes(of: remote.pointee.addr) { theirs in
                memcmp(mine.baseAddress!, theirs.baseAddress!, Int(cached.size)) == 0
            }
        }
    }

    /// NSTART of a server session that sends separate responses (see `sendSeparate`).
    static let separateResponseNSTART: UInt16 = 4096

    /// Sends a late response: on the request's ACK while that is still held back (piggybacked,
    /// the request's message ID), else as its own message (same token, new message ID).
    func sendLate(_ response: CoAPResponse, for detached: DetachedResponse) {
        if isHoldingAck(of: detached) {
            releaseAck(of: detached)
            sendPiggybacked(response, for: detached)
        } else {
            sendSeparate(response, for: detached)
        }
    }

    /// Sends a late response as its own message (same token, new message ID).
    func sendSeparate(_ response: CoAPResponse, for detached: DetachedResponse) {
        let session = detached.session
        // libcoap 4.3.1 holds a CON beyond the session's NSTART (1 by default) in a delay queue
        // and, on a server session, does not release it when the earlier one is acknowledged:
        // a client with 20 requests in flight that were answered separately got most answers
        // only by timing out (GatewayIngestionTests' burst). Each separate response answers a
        // request the client already has in flight, so the client's own limit bounds them.
        if coap_session_get_nstart(session) < Self.separateResponseNSTART {
            coap_session_set_nstart(session, Self.separateResponseNSTART)
        }
        let type: CoAPMessageType = LibCoAPPDU.type(of: detached.request) == .nonConfirmable ? .nonConfirmable : .confirmable
        send(response, for: detached, type: LibCoAPPDU.pduType(type), messageID: Int32(coap_new_message_id(session)))
    }

    /// Sends a late response in a message of `type` with `messageID`, the request's token, and
    /// the body block-wise when needed.
    func send(_ response: CoAPResponse, for detached: DetachedResponse, type: coap_pdu_type_t, messageID: coap_mid_t) {
        let session = detached.session
        guard let pdu = coap_pdu_init(type, LibCoAPPDU.pduCode(response.code.rawValue), messageID, coap_session_max_pdu_size(session)) else {
            return
        }
        LibCoAPPDU.addToken(LibCoAPPDU.token(of: detached.request), to: pdu)
        let hasBlock2 = LibCoAPPDU.options(of: detached.request).contains(.block2)
        write(response, into: pdu, resource: detached.resource, session: session, request: detached.request,
              query: detached.query, forceLarge: hasBlock2)
        if coap_send(session, pdu) == COAP_INVALID_MID {
            logger.warning("could not send a late response", metadata: ["coap.code": "\(response.code)"])
        }
    }

    /// Fills a response PDU: code, options, body (block-wise through libcoap when large or when
    /// the client asked for blocks).
    private func write(
        _ response: CoAPResponse, into pdu: OpaquePointer, resource: OpaquePointer?, session: OpaquePointer,
        request: OpaquePointer, query: UnsafeMutablePointer<coap_string_t>?, forceLarge: Bool
    ) {
        coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(response.code.rawValue))
        let maxPDU = Int(coap_session_max_pdu_size(session))
        let optionBytes = response.options.reduce(0) { $0 + $1.value.count + 3 }
        let large = resource != nil && (forceLarge || response.payload.count + optionBytes + 16 > maxPDU)
        if !large {
            _ = LibCoAPPDU.add(response.options, to: pdu, skipping: LibCoAPPDU.isManagedByLibCoAP)
            if !response.payload.isEmpty {
                response.payload.withUnsafeBufferPointer { _ = coap_add_data(pdu, $0.count, $0.baseAddress) }
            }
            return
        }
        // libcoap adds Content-Format, Max-Age, ETag, Block2 and Size2 itself on this path.
        let handledByLarge: (CoAPOptionNumber) -> Bool = {
            LibCoAPPDU.isManagedByLibCoAP($0) || $0 == .contentFormat || $0 == .maxAge || $0 == .eTag
        }
        _ = LibCoAPPDU.add(response.options, to: pdu, skipping: handledByLarge)
        let format = response.options.contentFormat?.rawValue ?? ContentFormat.octetStream.rawValue
        let maxAge = response.options.maxAge.map { Int32(clamping: $0) } ?? -1
        let etag = response.options.eTags.first.map { $0.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } } ?? 0
        // A block past the end of the representation is a bad option (RFC 7959 §2.4: 4.02).
        if forceLarge, let asked = LibCoAPPDU.options(of: request).block2, asked.number > 0,
           Int(asked.number) * asked.size >= response.payload.count {
            coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(CoAPResponseCode.badOption.rawValue))
            return
        }
        let body = LargeBody.copy(response.payload)
        // libcoap matches the client's next Block2 requests to this body by resource and query:
        // without the query, a request that had one is served only its first block.
        let ownQuery = query == nil ? coap_get_query(request) : nil
        defer { if let ownQuery { coap_delete_string(ownQuery) } }
        let ok = coap_add_data_large_response(
            resource, session, request, pdu, query ?? ownQuery, format, maxAge, etag,
            response.payload.count, body, LargeBody.release, body)
        if ok == 0 {
            coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(CoAPResponseCode.internalServerError.rawValue))
        }
    }
}

/// Matches `coap_method_handler_t`: the Swift server comes back from the context's app data.
let libcoapResourceHandler: coap_method_handler_t = { resource, session, request, _, response in
    guard let session, let request, let response,
        let endpoint = LibCoAPEndpoint.from(session: session), let server = endpoint.server
    else { return }
    server.dispatch(resource: resource, session: session, requestPDU: request, responsePDU: response)
}
