internal import CLibCoAP
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Client parameters applied to each new libcoap client session.
struct ClientSessionParameters: Sendable {
    var nstart: UInt16
    var ackTimeoutSeconds: Double
    var maxRetransmit: UInt16
    /// Block size exponent for block-wise transfers, when the caller chose one.
    var blockSZX: UInt8?
    /// Credentials for `coaps://` peers.
    var dtls: DTLSClientConfiguration?
}

/// Where a client request goes: the resolved address, the host as the URI named it (for the
/// server certificate's name check), and whether it is `coaps://`.
struct ClientPeer: Sendable {
    var address: SocketAddress
    var host: String
    var secure: Bool
}

extension LibCoAPEndpoint {
    /// Returns the client session for a peer, creating it on first use. Loop thread.
    func clientSession(for peer: ClientPeer, parameters: ClientSessionParameters) throws(CoAPError) -> OpaquePointer {
        let address = peer.address
        let key = "\(peer.secure ? "dtls" : "udp")|\(address)"
        if let s = clientSessions[key] { return s }
        if peer.secure {
            guard let dtls = parameters.dtls else {
                throw CoAPError(.invalidConfiguration, "coaps:// needs a DTLS configuration on the client (PSK or certificates)")
            }
            let session = try newDTLSClientSession(to: address, host: peer.host, dtls: dtls, parameters: parameters)
            clientSessions[key] = session
            return session
        }
        var remote = address.coapAddress
        guard let session = coap_new_client_session(context, nil, &remote, COAP_PROTO_UDP) else {
            throw CoAPError(.libcoap, "libcoap could not open a session to \(address)")
        }
        configure(session: session, parameters: parameters)
        clientSessions[key] = session
        return session
    }

    func configure(session: OpaquePointer, parameters: ClientSessionParameters) {
        coap_session_set_nstart(session, parameters.nstart)
        coap_session_set_max_retransmit(session, parameters.maxRetransmit)
        let whole = UInt16(parameters.ackTimeoutSeconds)
        let fraction = UInt16((parameters.ackTimeoutSeconds - Double(whole)) * 1000)
        coap_session_set_ack_timeout(session, coap_fixed_point_t(integer_part: whole, fractional_part: fraction))
        if let szx = parameters.blockSZX {
            // libcoap sizes Block1 from the session MTU: leave room for the header and options.
            coap_session_set_mtu(session, UInt32((16 << Int(szx)) + 96))
        }
    }

    /// Builds and sends a request; the exchange completes through `sink`. Loop thread.
    func send(
        _ request: CoAPRequest,
        on session: OpaquePointer,
        parameters: ClientSessionParameters,
        timeout: Double,
        observe: Bool,
        sink: ClientExchange.Sink
    ) throws(CoAPError) -> ExchangeKey {
        guard !isTearingDown else { throw CoAPError(.shutdown, "the CoAP endpoint is shut down") }
        let mid = coap_new_message_id(session)
        guard let pdu = coap_pdu_init(
            LibCoAPPDU.pduType(request.type), LibCoAPPDU.pduCode(request.method.rawValue),
            Int32(mid), coap_session_max_pdu_size(session))
        else {
            throw CoAPError(.sendFailed, "libcoap could not allocate a request")
        }
        var tokenBytes = [UInt8](repeating: 0, count: 8)
        var tokenLength = 0
        coap_session_new_token(session, &tokenLength, &tokenBytes)
        let token = Array(tokenBytes.prefix(tokenLength))
        LibCoAPPDU.addToken(token, to: pdu)

        var options = request.options
        if observe { options.observe = 0 }
        if let szx = parameters.blockSZX, options.block2 == nil, request.method == .get || request.method == .fetch {
            // Ask for responses in blocks of this size (RFC 7959 §2.4 early negotiation).
            options.block2 = CoAPBlockOption(number: 0, more: false, szx: szx)
        }
        // Block1/Size1 belong to libcoap; an explicit Block2 in a request asks for a block size.
        guard LibCoAPPDU.add(options, to: pdu, skipping: { $0 == .block1 || $0 == .size1 }) else {
            coap_delete_pdu(pdu)
            throw CoAPError(.sendFailed, "the request's options do not fit in one message")
        }
        if !request.payload.isEmpty {
            let body = LargeBody.copy(request.payload)
            guard coap_add_data_large_request(session, pdu, request.payload.count, body, LargeBody.release, body) != 0 else {
                coap_delete_pdu(pdu)
                throw CoAPError(.sendFailed, "libcoap could not attach the request body")
            }
        }
        let sent = coap_send(session, pdu)
        guard sent != COAP_INVALID_MID else {
            throw CoAPError(.sendFailed, "libcoap could not send the request")
        }
        let key = ExchangeKey(session: session, token: token)
        let exchange = ClientExchange(key: key, token: token, session: session, messageID: sent, sink: sink)
        exchanges[key] = exchange
        if timeout > 0 {
            exchange.timer = schedule(after: timeout) { [unowned self] in
                guard let e = exchanges.removeValue(forKey: key) else { return }
                if e.isObservation && e.registered {
                    // A live observation has no overall deadline; the timer only guards registration.
                    exchanges[key] = e
                    return
                }
                e.fail(CoAPError(.timeout, "no response within \(Self.format(seconds: timeout))"))
                if e.isObservation { cancelObservation(e) }
            }
        }
        return key
    }

    /// Ends an observation: forgets the exchange and sends a deregistration (GET with Observe=1).
    func cancelObservation(key: ExchangeKey) {
        guard let exchange = exchanges.removeValue(forKey: key) else { return }
        exchange.timer?.cancel()
        if case .observe(let continuation) = exchange.sink { continuation.finish() }
        cancelObservation(exchange)
    }

    private func cancelObservation(_ exchange: ClientExchange) {
        guard !isTearingDown else { return }
        var token = coap_binary_t()
        exchange.token.withUnsafeBufferPointer { buffer in
            token.length = buffer.count
            token.s = UnsafeMutablePointer(mutating: buffer.baseAddress)
            let rc = coap_cancel_observe(exchange.session, &token, COAP_MESSAGE_CON)
            logger.debug("observation cancelled", metadata: ["coap.deregistered": "\(rc == 1)"])
        }
    }

    /// Forgets an exchange whose awaiting task was cancelled.
    func abandon(key: ExchangeKey, error: CoAPError) {
        guard let exchange = exchanges.removeValue(forKey: key) else { return }
        exchange.timer?.cancel()
        exchange.fail(error)
        if exchange.isObservation { cancelObservation(exchange) }
    }

    fileprivate func handleResponse(session: OpaquePointer, received: OpaquePointer) -> coap_response_t {
        let key = ExchangeKey(session: session, token: LibCoAPPDU.token(of: received))
        guard let exchange = exchanges[key] else {
            // Unknown token: a late response, or a notification nobody wants (an RST follows).
            return COAP_RESPONSE_FAIL
        }
        var response = CoAPResponse(code: CoAPResponseCode(rawValue: LibCoAPPDU.code(of: received)))
        response.options = LibCoAPPDU.options(of: received)
        response.payload = LibCoAPPDU.payload(of: received)
        response.type = LibCoAPPDU.type(of: received)
        switch exchange.sink {
        case .single(let complete):
            exchanges.removeValue(forKey: key)
            exchange.timer?.cancel()
            complete(.success(response))
        case .observe(let continuation):
            exchange.registered = true
            exchange.timer?.cancel()
            continuation.yield(response)
            if response.options.observe == nil || !response.code.isSuccess {
                // The server did not (or no longer does) keep the registration.
                exchanges.removeValue(forKey: key)
                continuation.finish()
            }
        }
        return COAP_RESPONSE_OK
    }

    fileprivate func handleNack(session: OpaquePointer, sent: OpaquePointer?, reason: coap_nack_reason_t, messageID: Int32) {
        guard !isTearingDown else { return }
        let exchange: ClientExchange?
        if let sent {
            exchange = exchanges[ExchangeKey(session: session, token: LibCoAPPDU.token(of: sent))]
        } else {
            exchange = exchanges.values.first { $0.session == session && $0.messageID == messageID }
        }
        guard let exchange else { return }
        let error: CoAPError
        switch reason {
        case COAP_NACK_TOO_MANY_RETRIES:
            error = CoAPError(.timeout, "no acknowledgement after all retransmissions")
        case COAP_NACK_RST:
            error = CoAPError(.unreachable, "the peer rejected the message (RST)")
        case COAP_NACK_TLS_FAILED:
            error = CoAPError(.handshakeFailed, "the DTLS session failed")
        case COAP_NACK_ICMP_ISSUE:
            error = CoAPError(.unreachable, "the peer is unreachable (ICMP error or no route)")
        default:
            // NOT_DELIVERABLE: libcoap gave up on the message (for a NON request, its own
            // non-receive timeout fired before ours): to the caller, no response came.
            error = CoAPError(.timeout, "no response: libcoap could not deliver the request or gave up waiting (NACK \(reason.rawValue))")
        }
        if exchange.isObservation && exchange.registered && reason == COAP_NACK_RST {
            return  // an RST to our deregistration or a stray message; the stream already ended
        }
        exchanges.removeValue(forKey: exchange.key)
        exchange.timer?.cancel()
        exchange.fail(error)
    }

    /// Fails every exchange on a session that has gone away.
    func failExchanges(on session: OpaquePointer, with error: CoAPError) {
        let doomed = exchanges.values.filter { $0.session == session }
        for e in doomed {
            exchanges.removeValue(forKey: e.key)
            e.timer?.cancel()
            e.fail(error)
        }
    }

    static func format(seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

// MARK: - C callbacks (non-capturing; the endpoint comes back from the context's app data)

let libcoapResponseHandler: coap_response_handler_t = { session, _, received, _ in
    guard let session, let received, let endpoint = LibCoAPEndpoint.from(session: session) else {
        return COAP_RESPONSE_OK
    }
    return endpoint.handleResponse(session: session, received: received)
}

let libcoapNackHandler: coap_nack_handler_t = { session, sent, reason, mid in
    guard let session, let endpoint = LibCoAPEndpoint.from(session: session) else { return }
    endpoint.handleNack(session: session, sent: sent, reason: reason, messageID: mid)
}

let libcoapEventHandler: coap_event_handler_t = { session, event in
    guard let session, let endpoint = LibCoAPEndpoint.from(session: session) else { return 0 }
    endpoint.handleEvent(session: session, event: event)
    return 0
}
