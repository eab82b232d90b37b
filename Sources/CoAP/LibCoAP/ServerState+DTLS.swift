internal import CLibCoAP
import Logging
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// The server's DTLS endpoint: PSK and certificate set-up, the front door, the key lookup and
/// certificate mapping, handshake reports, and the sessions' lifecycle. Loop thread only (and the
/// set-up before the loop starts).
extension ServerState {
    /// Installs PSK and/or PKI on the context before the DTLS endpoint opens (on an IPv6 address
    /// when `ipv6`).
    func configureDTLS(_ configuration: DTLSServerConfiguration, ipv6: Bool) throws(CoAPError) {
        guard coap_dtls_is_supported() == 1 else {
            throw CoAPError(.invalidConfiguration, "this libcoap was built without DTLS")
        }
        guard configuration.psk != nil || configuration.pki != nil else {
            throw CoAPError(.invalidConfiguration, "a DTLS server needs PSK, certificates, or both")
        }
        dtls = configuration
        if let psk = configuration.psk {
            var setup = coap_dtls_spsk_t()
            setup.version = UInt8(COAP_DTLS_SPSK_SETUP_VERSION)
            setup.validate_id_call_back = libcoapPSKLookup
            let hint = Array(psk.hint.utf8)
            setup.psk_info.hint = coap_bin_const_t(length: hint.count, s: hint.isEmpty ? nil : UnsafePointer(dtlsMemory.copy(hint)))
            // libcoap needs a context key to enable PSK at all; the lookup supplies the real one.
            let placeholder = (0..<16).map { _ in UInt8.random(in: 0...255) }
            setup.psk_info.key = coap_bin_const_t(length: placeholder.count, s: UnsafePointer(dtlsMemory.copy(placeholder)))
            guard coap_context_set_psk2(context.context, &setup) == 1 else {
                throw CoAPError(.invalidConfiguration, "libcoap refused the PSK set-up")
            }
        }
        if let pki = configuration.pki {
            var setup = coap_dtls_pki_t()
            setup.version = UInt8(COAP_DTLS_PKI_SETUP_VERSION)
            setup.verify_peer_cert = 1
            setup.check_common_ca = pki.trustedCA == nil ? 0 : 1
            setup.cert_chain_validation = 1
            setup.cert_chain_verify_depth = 4
            setup.additional_tls_setup_call_back = libcoapTLSSetup
            setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF
            let certificate = try pki.certificate.load(what: "server certificate")
            let key = try pki.privateKey.load(what: "server private key")
            setup.pki_key.key.pem_buf.public_cert = UnsafePointer(dtlsMemory.copy(certificate))
            setup.pki_key.key.pem_buf.public_cert_len = certificate.count + 1
            setup.pki_key.key.pem_buf.private_key = UnsafePointer(dtlsMemory.copy(key))
            setup.pki_key.key.pem_buf.private_key_len = key.count + 1
            if let ca = pki.trustedCA {
                let bytes = try ca.load(what: "CA certificate")
                setup.pki_key.key.pem_buf.ca_cert = UnsafePointer(dtlsMemory.copy(bytes))
                setup.pki_key.key.pem_buf.ca_cert_len = bytes.count + 1
            }
            guard coap_context_set_pki(context.context, &setup) == 1 else {
                throw CoAPError(.invalidConfiguration, "libcoap refused the certificate set-up (is the key the certificate's?)")
            }
        }
        try configuration.limits.validate()
        // The front door enforces the caps; libcoap's own (100 by default) must never bind first.
        coap_context_set_max_handshake_sessions(context.context, UInt32(clamping: configuration.limits.maxHandshakes + 64))
        dtlsSSLContext = try findDTLSContext(family: ipv6 ? AF_INET6 : AF_INET)
    }

    /// libcoap's DTLS SSL_CTX, which 4.3.1 has no call for: every DTLS session's SSL comes from
    /// it, so a client session made for a moment to a socket of our own (closed at once, so the
    /// ClientHello it sends goes nowhere) shows it.
    private func findDTLSContext(family: Int32) throws(CoAPError) -> OpaquePointer {
        let loopback = family == AF_INET6 ? "::1" : "127.0.0.1"
        let sink = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard sink >= 0 else { throw CoAPError(.system, "cannot open a UDP socket", underlying: errno) }
        defer { close(sink) }
        guard var local = try? SocketAddress.resolve(host: loopback, port: 0).coapAddress,
              withUnsafePointer(to: &local.addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sink, $0, local.size) } }) == 0,
              withUnsafeMutablePointer(to: &local.addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sink, $0, &local.size) } }) == 0
        else { throw CoAPError(.system, "cannot bind a UDP socket on \(loopback)", underlying: errno) }
        var identity = Array("securecoap-probe".utf8)
        var key = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let session: OpaquePointer? = identity.withUnsafeMutableBufferPointer { id in
            key.withUnsafeMutableBufferPointer { k in
                var setup = coap_dtls_cpsk_t()
                setup.version = UInt8(COAP_DTLS_CPSK_SETUP_VERSION)
                setup.psk_info.identity = coap_bin_const_t(length: id.count, s: UnsafePointer(id.baseAddress))
                setup.psk_info.key = coap_bin_const_t(length: k.count, s: UnsafePointer(k.baseAddress))
                return coap_new_client_session_psk2(context.context, nil, &local, COAP_PROTO_DTLS, &setup)
            }
        }
        guard let session else { throw CoAPError(.libcoap, "libcoap could not make a DTLS session (to find its SSL context)") }
        defer { coap_session_release(session) }
        guard let tls = coap_session_get_tls(session, nil), let context = SSL_get_SSL_CTX(OpaquePointer(tls)) else {
            throw CoAPError(.libcoap, "libcoap's DTLS session has no OpenSSL connection")
        }
        return context
    }

    /// Starts screening the DTLS socket (libcoap's, found when it was bound), with our cookies.
    func openFrontDoor(socket: Int32) throws(CoAPError) {
        guard let dtls, let dtlsSSLContext else { return }
        let admission = try DTLSAdmission(limits: dtls.limits, counters: dtls.counters, socket: socket, now: monotonicNanoseconds())
        admission.installCookieCallbacks(on: dtlsSSLContext)
        self.admission = admission
    }

    /// The PSK lookup: the owner's key for a known identity; for an unknown, refused or
    /// malformed one a random key, so the client fails exactly as with a wrong key and learns
    /// nothing. Loop thread, inside OpenSSL.
    func pskKey(for identity: coap_bin_const_t, session: OpaquePointer) -> UnsafePointer<coap_bin_const_t>? {
        guard let state = dtlsState(for: session), let psk = dtls?.psk else { return nil }
        let raw = identity.s.map { Array(UnsafeBufferPointer(start: $0, count: identity.length)) } ?? []
        state.offeredIdentity = String(decoding: raw, as: UTF8.self)
        var key: [UInt8]
        if let valid = try? PSKIdentity(bytes: raw), let found = psk.keyLookup(valid, state.peer) {
            key = found.key.bytes
            state.authenticatesAs = found.identity
        } else {
            state.decoy = true
            key = (0..<16).map { _ in UInt8.random(in: 0...255) }
            report(.unknownIdentity, state: state)
        }
        key.withUnsafeBufferPointer { pskScratchBytes.update(from: $0.baseAddress!, count: $0.count) }
        pskScratch.pointee = coap_bin_const_t(length: key.count, s: UnsafePointer(pskScratchBytes))
        return UnsafePointer(pskScratch)
    }

    /// Delivers a handshake outcome once per session, counts it against the peer's address when
    /// it failed, and logs it (a refusal a few times per address and interval, then summed up).
    func report(_ outcome: DTLSHandshakeEvent.Outcome, state: DTLSSessionState) {
        guard !state.reported else { return }
        state.reported = true
        let now = monotonicNanoseconds()
        let established = outcome == .established
        var throttled = false
        if let key = state.admissionKey, state.handshaking {
            state.handshaking = false
            throttled = admission?.handshakeEnded(key, failed: !established, now: now) ?? false
        }
        admission?.counters.update { stats in
            if established { stats.established += 1 } else { stats.failed += 1 }
            if outcome == .abandoned { stats.abandoned += 1 }
        }
        let event = DTLSHandshakeEvent(
            outcome: outcome, identity: state.authenticatesAs ?? state.offeredIdentity, offeredIdentity: state.offeredIdentity, peer: state.peer)
        if established {
            logger.debug("DTLS handshake", metadata: ["dtls.peer": "\(state.peer)", "dtls.identity": "\(state.offeredIdentity ?? state.authenticatesAs ?? "-")"])
        } else if handshakeLog.shouldLog(state.peer.host, now: now) {
            logger.notice("DTLS handshake refused", metadata: [
                "dtls.peer": "\(state.peer)", "dtls.identity": "\(state.offeredIdentity ?? state.authenticatesAs ?? "-")", "dtls.outcome": "\(outcome)",
            ])
        }
        if throttled, let limits = dtls?.limits {
            logger.warning("DTLS handshakes from an address throttled after repeated failures", metadata: [
                "dtls.address": "\(state.peer.host)", "dtls.failures": "\(limits.failureThreshold)",
                "dtls.seconds": "\(Int(limits.throttleDuration.seconds))",
                "dtls.handshakes_per_s": "\(limits.throttledHandshakesPerSecond)",
            ])
        }
        dtls?.onHandshake?(event)
    }

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
        let state = DTLSSessionState(peer: peer)
        state.remote = remote?.pointee
        state.ifindex = coap_session_get_ifindex(session)
        dtlsSessions[session] = state
        if let admission, let remote, let key = PeerKey(remote) {
            state.admissionKey = key
            state.handshaking = true
            admission.sessionOpened(key)
        }
        if let timeout = dtls?.handshakeTimeout {
            state.timer = loop.schedule(after: timeout.seconds) { [unowned self] in
                guard !state.connected else { return }
                if !state.reported { self.report(state.offeredIdentity == nil && state.authenticatesAs == nil ? .abandoned : .timeout, state: state) }
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
              coap_session_get_by_peer(context.context, &remote, state.ifindex) == session
        else { return }
        coap_session_disconnected(session, COAP_NACK_TLS_FAILED)
    }

    /// Our check of a client's certificate, in place of libcoap's: chain errors with OpenSSL's
    /// reason, then the owner's mapping of the client's own certificate to an identity.
    func verifyClientCertificate(session: OpaquePointer, preverified: Bool, store: OpaquePointer) -> Bool {
        guard let state = dtlsState(for: session) else { return false }
        if let failure = CertificateChainCheck.failure(preverified: preverified, store: store) {
            state.certificateFailure = failure
            return false
        }
        guard X509_STORE_CTX_get_error_depth(store) == 0 else { return true }
        guard let pki = dtls?.pki, let certificate = CertificateChainCheck.current(store) else { return false }
        guard let identity = pki.identify(certificate, state.peer) else {
            state.certificateFailure = "the certificate '\(certificate.commonName)' (SHA-256 \(certificate.sha256Fingerprint.prefix(16))…) is not mapped to an identity"
            return false
        }
        state.authenticatesAs = identity
        return true
    }

    func recordAlert(session: OpaquePointer, text: String, received: Bool) {
        guard let state = dtlsState(for: session) else { return }
        state.recordAlert(text, received: received)
    }

    /// DTLS and session events of a server session.
    func handleEvent(session: OpaquePointer, event: coap_event_t) {
        if event == COAP_EVENT_SERVER_SESSION_DEL { sessionDeleted(session) }
        guard coap_session_get_proto(session) == COAP_PROTO_DTLS else { return }
        switch event {
        case COAP_EVENT_SERVER_SESSION_NEW:
            _ = dtlsState(for: session)
        case COAP_EVENT_DTLS_CONNECTED:
            guard let state = dtlsState(for: session) else { return }
            state.connected = true
            state.timer?.cancel()
            if state.authenticatesAs == nil, let id = coap_session_get_psk_identity(session), let s = id.pointee.s {
                state.authenticatesAs = String(decoding: UnsafeBufferPointer(start: s, count: id.pointee.length), as: UTF8.self)
            }
            report(.established, state: state)
        case COAP_EVENT_DTLS_ERROR, COAP_EVENT_DTLS_CLOSED, COAP_EVENT_SESSION_FAILED:
            guard let state = dtlsSessions[session], !state.connected, !state.reported else { return }
            let outcome: DTLSHandshakeEvent.Outcome
            if state.decoy {
                outcome = .unknownIdentity
            } else if let failure = state.certificateFailure {
                outcome = .certificateRefused(failure)
            } else {
                outcome = .failed(state.alert ?? "the DTLS handshake failed")
            }
            report(outcome, state: state)
        case COAP_EVENT_SERVER_SESSION_DEL:
            guard let state = dtlsSessions.removeValue(forKey: session) else { return }
            state.timer?.cancel()
            if let key = state.admissionKey, let admission {
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

    /// Ends the established DTLS sessions whose authenticated identity `matches`: libcoap drops
    /// their observations and pending messages, OpenSSL sends close_notify, and the session answers
    /// nothing more until the peer handshakes again. Returns how many.
    func closeSessions(where matches: (String) -> Bool) -> Int {
        var closed = 0
        for (session, state) in dtlsSessions where state.connected {
            guard let identity = state.authenticatesAs, matches(identity) else { continue }
            state.connected = false  // requests that still arrive on it carry no identity
            coap_session_disconnected(session, COAP_NACK_TLS_FAILED)
            closed += 1
        }
        return closed
    }

    /// The identity a session authenticated, for request handlers.
    func authenticatedIdentity(of session: OpaquePointer) -> String? {
        guard let state = dtlsSessions[session], state.connected else { return nil }
        return state.authenticatesAs
    }
}
