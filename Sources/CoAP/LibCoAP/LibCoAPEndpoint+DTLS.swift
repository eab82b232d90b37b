internal import CLibCoAP
import Logging
import Platform

/// DTLS bookkeeping shared by client and server sessions. Loop thread only.
extension LibCoAPEndpoint {
    /// The state of a DTLS session; server sessions get one on first sight (libcoap's
    /// `COAP_EVENT_SERVER_SESSION_NEW`, when the session is still of libcoap's hello type): the
    /// front door counts it, and a handshake not done within the timeout is reported and ended.
    func dtlsState(for session: OpaquePointer) -> DTLSSessionState? {
        if let state = dtlsSessions[session] { return state }
        let type = coap_session_get_type(session)
        guard coap_session_get_proto(session) == COAP_PROTO_DTLS, type == COAP_SESSION_TYPE_SERVER || type == COAP_SESSION_TYPE_HELLO
        else { return nil }
        let remote = coap_session_get_addr_remote(session)
        let peer = remote.map { SocketAddress($0).peer } ?? CoAPPeerAddress(host: "?", port: 0)
        let state = DTLSSessionState(role: .server, peer: peer)
        state.remote = remote?.pointee
        state.ifindex = coap_session_get_ifindex(session)
        dtlsSessions[session] = state
        if let admission = server?.admission, let remote, let key = PeerKey(remote) {
            state.admissionKey = key
            state.handshaking = true
            admission.sessionOpened(key)
        }
        if let timeout = server?.dtls?.handshakeTimeout {
            state.timer = schedule(after: timeout.seconds) { [unowned self] in
                guard !state.connected else { return }
                if !state.reported { self.server?.report(state.identity == nil ? .abandoned : .timeout, state: state) }
                self.endHandshake(session, state: state)
            }
        }
        return state
    }

    /// Ends a handshake that ran out of time; libcoap frees the session on its next turn. Only
    /// a session still known to libcoap is touched: one it freed without an event (it does when
    /// it cannot start a handshake) may not be.
    private func endHandshake(_ session: OpaquePointer, state: DTLSSessionState) {
        guard dtlsSessions[session] === state, var remote = state.remote,
              coap_session_get_by_peer(context, &remote, state.ifindex) == session
        else { return }
        coap_session_disconnected(session, COAP_NACK_TLS_FAILED)
    }

    /// Our certificate check, in place of libcoap's: chain errors with OpenSSL's reason, then for
    /// the peer's own certificate the host name (clients) or the identity mapping (servers).
    func verifyPeerCertificate(session: OpaquePointer, preverified: Bool, store: OpaquePointer) -> Bool {
        guard let state = dtlsState(for: session) else { return false }
        let depth = X509_STORE_CTX_get_error_depth(store)
        guard let cert = X509_STORE_CTX_get_current_cert(store) else { return false }
        if state.role == .client && state.insecure { return true }
        if !preverified {
            let error = X509_STORE_CTX_get_error(store)
            let subject = X509Certificate.peerCertificate(cert).commonName
            var reason = String(cString: X509_verify_cert_error_string(Int(error)))
            if [X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
                X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT].contains(error)
            {
                reason = "not issued by a trusted CA: " + reason
            }
            state.certificateFailure = "\(reason) (certificate '\(subject)'\(depth > 0 ? ", chain depth \(depth)" : ""))"
            return false
        }
        guard depth == 0 else { return true }
        switch state.role {
        case .client:
            guard let expected = state.expectedServerName else { return true }
            if !X509Certificate.matches(cert, host: expected) {
                let info = X509Certificate.peerCertificate(cert)
                let names = ([info.commonName] + info.subjectAltNames).filter { !$0.isEmpty }.joined(separator: ", ")
                state.certificateFailure = "the server's certificate does not name \(expected) (it names \(names.isEmpty ? "nothing" : names))"
                return false
            }
            return true
        case .server:
            guard let pki = server?.dtls?.pki else { return false }
            let info = X509Certificate.peerCertificate(cert)
            guard let identity = pki.identify(info, state.peer) else {
                state.certificateFailure = "the certificate '\(info.commonName)' (SHA-256 \(info.sha256Fingerprint.prefix(16))…) is not mapped to an identity"
                return false
            }
            state.identity = identity
            return true
        }
    }

    func recordAlert(session: OpaquePointer, text: String, received: Bool) {
        guard let state = dtlsSessions[session] ?? dtlsState(for: session) else { return }
        if received || state.alert == nil { state.alert = received ? "the peer sent the alert '\(text)'" : "sent the alert '\(text)'" }
    }

    /// DTLS and session events. Returns true when the event was a DTLS one it handled.
    func handleDTLSEvent(session: OpaquePointer, event: coap_event_t) {
        let isServer = coap_session_get_type(session) == COAP_SESSION_TYPE_SERVER
        switch event {
        case COAP_EVENT_SERVER_SESSION_NEW:
            _ = dtlsState(for: session)
        case COAP_EVENT_DTLS_CONNECTED:
            guard let state = dtlsSessions[session] ?? dtlsState(for: session) else { return }
            state.connected = true
            state.timer?.cancel()
            if isServer {
                if state.identity == nil, let id = coap_session_get_psk_identity(session), let s = id.pointee.s {
                    state.identity = String(decoding: UnsafeBufferPointer(start: s, count: id.pointee.length), as: UTF8.self)
                }
                server?.report(.established, state: state)
            }
        case COAP_EVENT_DTLS_ERROR, COAP_EVENT_DTLS_CLOSED, COAP_EVENT_SESSION_FAILED:
            guard let state = dtlsSessions[session] else { return }
            if isServer {
                if !state.connected && !state.reported {
                    let outcome: DTLSHandshakeEvent.Outcome
                    if state.decoy {
                        outcome = .unknownIdentity
                    } else if let failure = state.certificateFailure {
                        outcome = .certificateRefused(failure)
                    } else {
                        outcome = .failed(state.alert ?? "the DTLS handshake failed")
                    }
                    server?.report(outcome, state: state)
                }
            } else {
                failClientHandshake(session: session, state: state)
            }
        case COAP_EVENT_SERVER_SESSION_DEL:
            guard let state = dtlsSessions.removeValue(forKey: session) else { return }
            state.timer?.cancel()
            if let key = state.admissionKey, let admission = server?.admission {
                if state.handshaking {
                    state.handshaking = false
                    admission.handshakeEnded(key, failed: false, now: monotonicNanoseconds())
                }
                admission.sessionClosed(key)
            }
        default:
            break
        }
    }

    /// Ends the established server DTLS sessions whose authenticated identity `matches`: libcoap
    /// drops their observations and pending messages, OpenSSL sends close_notify, and the session
    /// answers nothing more until the peer handshakes again. Loop thread. Returns how many.
    func closeServerSessions(where matches: (String) -> Bool) -> Int {
        var closed = 0
        for (session, state) in dtlsSessions where state.role == .server && state.connected {
            guard let identity = state.identity, matches(identity) else { continue }
            state.connected = false  // requests that still arrive on it carry no identity
            coap_session_disconnected(session, COAP_NACK_TLS_FAILED)
            closed += 1
        }
        return closed
    }

    /// The identity a server session authenticated, for request handlers.
    func authenticatedIdentity(of session: OpaquePointer) -> String? {
        guard let state = dtlsSessions[session], state.connected else { return nil }
        return state.identity
    }

    // MARK: Client sessions

    /// Opens a DTLS client session and starts its handshake, bounded by the handshake timeout.
    func newDTLSClientSession(
        to address: SocketAddress, host: String, dtls: DTLSClientConfiguration, parameters: ClientSessionParameters
    ) throws(CoAPError) -> OpaquePointer {
        let state = DTLSSessionState(role: .client, peer: address.peer)
        var remote = address.coapAddress
        let created: OpaquePointer?
        switch dtls.credentials {
        case .psk(let identity, let key):
            var setup = coap_dtls_cpsk_t()
            setup.version = UInt8(COAP_DTLS_CPSK_SETUP_VERSION)
            setup.psk_info.identity = coap_bin_const_t(length: identity.bytes.count, s: UnsafePointer(state.memory.copy(identity.bytes)))
            setup.psk_info.key = coap_bin_const_t(length: key.bytes.count, s: UnsafePointer(state.memory.copy(key.bytes)))
            state.identity = identity.text
            created = coap_new_client_session_psk2(context, nil, &remote, COAP_PROTO_DTLS, &setup)
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
            created = coap_new_client_session_pki(context, nil, &remote, COAP_PROTO_DTLS, &setup)
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
        state.timer = schedule(after: seconds) { [unowned self] in
            guard !state.connected, !state.reported else { return }
            state.alert = state.alert ?? "no DTLS handshake with \(address) within \(Self.format(seconds: seconds)) (a wrong PSK key looks like this: OpenSSL drops it silently; or no DTLS server is there)"
            self.failClientHandshake(session: session, state: state)
        }
        return session
    }

    /// A throw-away certificate and key (PEM) for clients without a certificate of their own.
    static func throwawayIdentity() throws(CoAPError) -> ([UInt8], [UInt8]) {
        var certificate = [CChar](repeating: 0, count: 4096)
        var key = [CChar](repeating: 0, count: 4096)
        guard scoap_throwaway_pem(&certificate, Int32(certificate.count), &key, Int32(key.count)) == 1 else {
            throw CoAPError(.invalidConfiguration, "OpenSSL could not make a throw-away client certificate")
        }
        return (Array(String(cBuffer: certificate).utf8), Array(String(cBuffer: key).utf8))
    }

    /// Fails everything waiting on a client session whose handshake failed, and drops the
    /// session (released on the next loop turn, outside libcoap's callback) so the next request
    /// starts afresh.
    func failClientHandshake(session: OpaquePointer, state: DTLSSessionState) {
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
        if let key = clientSessions.first(where: { $0.value == session })?.key {
            clientSessions.removeValue(forKey: key)
            _ = schedule(after: 0) { [unowned self] in
                self.dtlsSessions.removeValue(forKey: session)
                coap_session_release(session)
            }
        }
    }
}
