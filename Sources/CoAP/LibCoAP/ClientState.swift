internal import CLibCoAP
import LibCrypto
import Logging
import Platform
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

/// The client side of a libcoap context: one session per peer, the exchanges waiting for
/// responses or notifications, and the client's DTLS sessions. Loop thread only.
final class ClientState {
    unowned let context: LibCoAPContext
    var loop: CoAPLoop { context.loop }
    let logger: Logger
    var exchanges: [ExchangeKey: ClientExchange] = [:]
    var sessions: [String: OpaquePointer] = [:]
    var dtlsSessions: [OpaquePointer: ClientDTLSSession] = [:]

    init(context: LibCoAPContext, logger: Logger) {
        self.context = context
        self.logger = logger
        // Let libcoap reassemble block-wise response bodies (RFC 7959) and send large requests
        // block by block.
        coap_context_set_block_mode(context.context, UInt8(COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY))
    }

    /// The loop is stopping: every exchange fails, every session goes (libcoap's release fires
    /// events back into us: bookkeeping is detached first).
    func tearDown() {
        let shutdownError = CoAPError(.shutdown, "the CoAP endpoint was shut down before the exchange completed")
        for exchange in exchanges.values {
            exchange.timer?.cancel()
            exchange.fail(shutdownError)
        }
        exchanges.removeAll()
        let open = sessions.values
        sessions.removeAll()
        for session in open { coap_session_release(session) }
        for state in dtlsSessions.values { state.timer?.cancel() }
    }


    /// Returns the client session for a peer, creating it on first use. Loop thread.
    func session(for peer: ClientPeer, parameters: ClientSessionParameters) throws(CoAPError) -> OpaquePointer {
        let address = peer.address
        let key = "\(peer.secure ? "dtls" : "udp")|\(address)"
        if let s = sessions[key] { return s }
        if peer.secure {
            guard let dtls = parameters.dtls else {
                throw CoAPError(.invalidConfiguration, "coaps:// needs a DTLS configuration on the client (PSK or certificates)")
            }
            let session = try newDTLSClientSession(to: address, host: peer.host, dtls: dtls, parameters: parameters)
            sessions[key] = session
            return session
        }
        var remote = address.coapAddress
        guard let session = coap_new_client_session(context.context, nil, &remote, COAP_PROTO_UDP) else {
            throw CoAPError(.libcoap, "libcoap could not open a session to \(address)")
        }
        configure(session: session, parameters: parameters)
        sessions[key] = session
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
        guard !loop.isTearingDown else { throw CoAPError(.shutdown, "the CoAP endpoint is shut down") }
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
            exchange.timer = loop.schedule(after: timeout) { [unowned self] in
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
        guard !loop.isTearingDown else { return }
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

    func handleResponse(session: OpaquePointer, received: OpaquePointer) -> coap_response_t {
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

    func handleNack(session: OpaquePointer, sent: OpaquePointer?, reason: coap_nack_reason_t, messageID: Int32) {
        guard !loop.isTearingDown else { return }
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

    // MARK: Client sessions

    /// Opens a DTLS client session and starts its handshake, bounded by the handshake timeout.
    func newDTLSClientSession(
        to address: SocketAddress, host: String, dtls: DTLSClientConfiguration, parameters: ClientSessionParameters
    ) throws(CoAPError) -> OpaquePointer {
        let state = ClientDTLSSession(peer: address.peer)
        var remote = address.coapAddress
        let created: OpaquePointer?
        switch dtls.credentials {
        case .psk(let identity, let key):
            var setup = coap_dtls_cpsk_t()
            setup.version = UInt8(COAP_DTLS_CPSK_SETUP_VERSION)
            setup.psk_info.identity = coap_bin_const_t(length: identity.bytes.count, s: UnsafePointer(state.memory.copy(identity.bytes)))
            setup.psk_info.key = coap_bin_const_t(length: key.bytes.count, s: UnsafePointer(state.memory.copy(key.bytes)))
            created = coap_new_client_session_psk2(context.context, nil, &remote, COAP_PROTO_DTLS, &setup)
        case .certificate(let pki):
            guard pki.trustedCA != nil || pki.insecure else {
                throw CoAPError(.invalidConfiguration, "no CA to verify the server with: give a trusted CA, or ask for insecure explicitly")
            }
            state.insecure = pki.insecure
            state.expectedServerName = pki.expectedServerName ?? host
            var setup = coap_dtls_pki_t()
            setup.version = UInt8(COAP_DTLS_PKI_SETUP_VERSION)
            setup.verify_peer_cert = pki.insecure ? 0 : 1
            setup.check_common_ca = pki.insecure ? 0 : 1
            setup.cert_chain_validation = 1
            setup.cert_chain_verify_depth = 4
            setup.additional_tls_setup_call_back = libcoapTLSSetup
            if let name = state.expectedServerName, !name.contains(":"), !name.allSatisfy({ $0.isNumber || $0 == "." }) {
                setup.client_sni = state.memory.copy(name)
            }
            setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF
            if let ca = pki.trustedCA {
                let bytes = try ca.load(what: "CA certificate")
                setup.pki_key.key.pem_buf.ca_cert = UnsafePointer(state.memory.copy(bytes))
                setup.pki_key.key.pem_buf.ca_cert_len = bytes.count + 1
            }
            if pki.certificate == nil {
                // libcoap insists on a client certificate; a throw-away one satisfies it and is
                // removed from the connection below, so nothing is ever sent.
                let (certificate, key) = try Self.throwawayIdentity()
                setup.pki_key.key.pem_buf.public_cert = UnsafePointer(state.memory.copy(certificate))
                setup.pki_key.key.pem_buf.public_cert_len = certificate.count + 1
                setup.pki_key.key.pem_buf.private_key = UnsafePointer(state.memory.copy(key))
                setup.pki_key.key.pem_buf.private_key_len = key.count + 1
            }
            if let certificate = pki.certificate {
                let bytes = try certificate.load(what: "client certificate")
                setup.pki_key.key.pem_buf.public_cert = UnsafePointer(state.memory.copy(bytes))
                setup.pki_key.key.pem_buf.public_cert_len = bytes.count + 1
                guard let key = pki.privateKey else {
                    throw CoAPError(.invalidConfiguration, "a client certificate needs its private key")
                }
                let keyBytes = try key.load(what: "client private key")
                setup.pki_key.key.pem_buf.private_key = UnsafePointer(state.memory.copy(keyBytes))
                setup.pki_key.key.pem_buf.private_key_len = keyBytes.count + 1
            }
            created = coap_new_client_session_pki(context.context, nil, &remote, COAP_PROTO_DTLS, &setup)
        }
        guard let session = created else {
            throw CoAPError(.handshakeFailed, "libcoap could not start a DTLS session to \(address) (bad credentials or PEM?)")
        }
        configure(session: session, parameters: parameters)
        dtlsSessions[session] = state
        if let raw = coap_session_get_tls(session, nil) {
            // The ClientHello is out; the server's certificate has not arrived yet, so our checks
            // can still take the place of libcoap's.
            let ssl = OpaquePointer(raw)
            SSL_set_info_callback(ssl, dtlsInfoCallback)
            if case .certificate(let pki) = dtls.credentials {
                if !pki.insecure { SSL_set_verify(ssl, SSL_VERIFY_PEER, dtlsVerifyCallback) }
                if pki.certificate == nil { SSL_certs_clear(ssl) }
            }
        }
        let seconds = dtls.handshakeTimeout.seconds
        state.timer = loop.schedule(after: seconds) { [unowned self] in
            guard !state.connected, !state.reported else { return }
            state.alert = state.alert ?? "no DTLS handshake with \(address) within \(Self.format(seconds: seconds)) (a wrong PSK key looks like this: OpenSSL drops it silently; or no DTLS server is there)"
            self.failHandshake(session: session, state: state)
        }
        return session
    }

    /// A throw-away certificate and key (PEM) for clients without a certificate of their own.
    static func throwawayIdentity() throws(CoAPError) -> ([UInt8], [UInt8]) {
        do {
            let made = try LibCrypto.X509Certificate.selfSigned(commonName: "securecoap-anonymous", validity: .seconds(3600))
            return (Array(made.certificatePEM.utf8), Array(made.privateKeyPEM.utf8))
        } catch {
            throw CoAPError(.invalidConfiguration, "OpenSSL could not make a throw-away client certificate: \(error)")
        }
    }

    /// Fails everything waiting on a client session whose handshake failed, and drops the
    /// session (released on the next loop turn, outside libcoap's callback) so the next request
    /// starts afresh.
    func failHandshake(session: OpaquePointer, state: ClientDTLSSession) {
        guard !state.reported else { return }
        state.reported = true
        state.timer?.cancel()
        let reason: String
        if let failure = state.certificateFailure {
            reason = "server certificate refused: \(failure)"
        } else if state.connected {
            reason = "the DTLS session with \(state.peer) was closed"
        } else {
            reason = (state.alert ?? "the DTLS handshake with \(state.peer) failed")
                + (state.alert?.contains("handshake failure") == true ? " (wrong credentials, or the server wants a client certificate)" : "")
        }
        let error = CoAPError(state.connected ? .unreachable : .handshakeFailed, reason)
        failExchanges(on: session, with: error)
        if let key = sessions.first(where: { $0.value == session })?.key {
            sessions.removeValue(forKey: key)
            _ = loop.schedule(after: 0) { [unowned self] in
                self.dtlsSessions.removeValue(forKey: session)
                coap_session_release(session)
            }
        }
    }

    /// Our check of the server's certificate, in place of libcoap's: chain errors with OpenSSL's
    /// reason, then the host name (RFC 7252 §9.1.3.3).
    func verifyServerCertificate(session: OpaquePointer, preverified: Bool, store: OpaquePointer) -> Bool {
        guard let state = dtlsSessions[session] else { return false }
        if state.insecure { return true }
        if let failure = CertificateChainCheck.failure(preverified: preverified, store: store) {
            state.certificateFailure = failure
            return false
        }
        guard X509_STORE_CTX_get_error_depth(store) == 0, let expected = state.expectedServerName else { return true }
        guard let cert = X509_STORE_CTX_get_current_cert(store), let info = PeerCertificate.read(cert) else { return false }
        if !info.names(host: expected) {
            let names = ([info.commonName ?? ""] + info.subjectAltNames).filter { !$0.isEmpty }.joined(separator: ", ")
            state.certificateFailure = "the server's certificate does not name \(expected) (it names \(names.isEmpty ? "nothing" : names))"
            return false
        }
        return true
    }

    func recordAlert(session: OpaquePointer, text: String, received: Bool) {
        dtlsSessions[session]?.recordAlert(text, received: received)
    }

    /// Session and DTLS events of a client session.
    func handleEvent(session: OpaquePointer, event: coap_event_t) {
        if let state = dtlsSessions[session] {
            switch event {
            case COAP_EVENT_DTLS_CONNECTED:
                state.connected = true
                state.timer?.cancel()
            case COAP_EVENT_DTLS_ERROR, COAP_EVENT_DTLS_CLOSED, COAP_EVENT_SESSION_FAILED:
                failHandshake(session: session, state: state)
            default:
                break
            }
            return
        }
        switch event {
        case COAP_EVENT_SESSION_FAILED, COAP_EVENT_DTLS_ERROR:
            failExchanges(on: session, with: CoAPError(.unreachable, "the session to the peer failed"))
        default:
            break
        }
    }
}
