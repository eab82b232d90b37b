internal import CLibCoAP
import Logging
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// One libcoap context and what hangs off it: the server side (``ServerState``) or the client
/// side (``ClientState``), driven by a ``CoAPLoop``. libcoap's callbacks come here (through the
/// context's app-data slot) and go on to the side they concern.
///
/// `@unchecked Sendable`: loop thread only, but for `init` and the set-up a server does before its
/// loop starts; the jobs other threads hand the loop capture it, and run there.
final class LibCoAPContext: CoAPLoopDriver, @unchecked Sendable {
    let loop: CoAPLoop
    let logger: Logger
    /// The libcoap context; freed by ``tearDown()`` on the loop thread.
    let context: OpaquePointer
    var server: ServerState?
    var client: ClientState?

    init(logger: Logger) throws(CoAPError) {
        LibCoAPRuntime.ensureStarted(logger: logger)
        self.logger = logger
        guard let ctx = coap_new_context(nil) else { throw CoAPError(.libcoap, "libcoap could not create a context") }
        context = ctx
        do { loop = try CoAPLoop(logger: logger) } catch {
            coap_free_context(ctx)
            throw error
        }
        coap_context_set_max_idle_sessions(ctx, 100_000)
        coap_set_app_data(ctx, Unmanaged.passUnretained(self).toOpaque())
        coap_register_response_handler(ctx, libcoapResponseHandler)
        coap_register_nack_handler(ctx, libcoapNackHandler)
        coap_register_event_handler(ctx, libcoapEventHandler)
    }

    /// Starts the loop thread; from then on, only the loop touches the context.
    func start(name: String) throws(CoAPError) { try loop.start(name: name, driver: self) }

    /// The context behind a session, inside a libcoap callback.
    static func from(session: OpaquePointer?) -> LibCoAPContext? {
        guard let session, let context = coap_session_get_context(session), let raw = coap_get_app_data(context) else { return nil }
        return Unmanaged<LibCoAPContext>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: CoAPLoopDriver

    var epollDescriptor: Int32 { coap_context_get_coap_fd(context) }

    func prepare() {
        var now: coap_tick_t = 0
        coap_ticks(&now)
        _ = coap_io_prepare_epoll(context, now)
    }

    func handle(_ pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ masks: UnsafeMutablePointer<UInt32>, count: Int) {
        var count = count
        if let admission = server?.admission {
            count = screen(pointers, masks, count: count, with: admission)
        }
        if count > 0 { scoap_io_do_epoll(context, pointers, masks, Int32(count)) }
        server?.admission?.admitting = nil
    }

    /// Lets the front door look at the DTLS socket when it is among the ready events, and removes
    /// its event when nothing at the head of its queue is for libcoap. Returns the events left.
    private func screen(
        _ pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ masks: UnsafeMutablePointer<UInt32>, count: Int,
        with admission: DTLSAdmission
    ) -> Int {
        for i in 0..<count {
            guard let socket = pointers[i], scoap_socket_fd(socket) == admission.socket else { continue }
            if admission.look(now: monotonicNanoseconds()) { return count }
            pointers[i] = pointers[count - 1]
            masks[i] = masks[count - 1]
            return count - 1
        }
        return count
    }

    func tearDown() {
        client?.tearDown()
        server?.tearDown()
        coap_set_app_data(context, nil)
        coap_free_context(context)
        // What libcoap pointed into (keys, PEM, session set-up) goes only now it is done with it.
        client = nil
        server = nil
    }

    // MARK: libcoap's callbacks

    fileprivate func handleEvent(session: OpaquePointer, event: coap_event_t) {
        guard !loop.isTearingDown else { return }
        switch coap_session_get_type(session) {
        case COAP_SESSION_TYPE_SERVER, COAP_SESSION_TYPE_HELLO: server?.handleEvent(session: session, event: event)
        default: client?.handleEvent(session: session, event: event)
        }
    }
}

/// Matches `coap_response_handler_t`: a response to one of the client's requests.
let libcoapResponseHandler: coap_response_handler_t = { session, _, received, _ in
    guard let session, let received, let client = LibCoAPContext.from(session: session)?.client else { return COAP_RESPONSE_OK }
    return client.handleResponse(session: session, received: received)
}

/// Matches `coap_nack_handler_t`: a request of the client's that libcoap gave up on.
let libcoapNackHandler: coap_nack_handler_t = { session, sent, reason, mid in
    guard let session, let client = LibCoAPContext.from(session: session)?.client else { return }
    client.handleNack(session: session, sent: sent, reason: reason, messageID: mid)
}

/// Matches `coap_event_handler_t`: session and DTLS events.
let libcoapEventHandler: coap_event_handler_t = { session, event in
    guard let session, let context = LibCoAPContext.from(session: session) else { return 0 }
    context.handleEvent(session: session, event: event)
    return 0
}

/// Matches `coap_method_handler_t`: a request to one of the server's resources.
let libcoapResourceHandler: coap_method_handler_t = { resource, session, request, _, response in
    guard let session, let request, let response, let server = LibCoAPContext.from(session: session)?.server else { return }
    server.dispatch(resource: resource, session: session, requestPDU: request, responsePDU: response)
}
