internal import CLibCoAP
import Logging

extension ServerBinding {
    /// Installs PSK and/or PKI on the context before the DTLS endpoint opens.
    func configureDTLS(_ configuration: DTLSServerConfiguration) throws(CoAPError) {
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
            guard coap_context_set_psk2(endpoint.context, &setup) == 1 else {
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
            guard coap_context_set_pki(endpoint.context, &setup) == 1 else {
                throw CoAPError(.invalidConfiguration, "libcoap refused the certificate set-up (is the key the certificate's?)")
            }
        }
    }

    /// The PSK lookup: the owner's key for a known identity; for an unknown, refused or
    /// malformed one a random key, so the client fails exactly as with a wrong key and learns
    /// nothing. Loop thread, inside OpenSSL.
    func pskKey(for identity: coap_bin_const_t, session: OpaquePointer) -> UnsafePointer<coap_bin_const_t>? {
        guard let state = endpoint.dtlsState(for: session), let psk = dtls?.psk else { return nil }
        let raw = identity.s.map { Array(UnsafeBufferPointer(start: $0, count: identity.length)) } ?? []
        state.identity = String(decoding: raw, as: UTF8.self)
        var key: [UInt8]
        if let valid = try? PSKIdentity(bytes: raw), let found = psk.keyLookup(valid, state.peer) {
            key = found.bytes
        } else {
            state.decoy = true
            key = (0..<16).map { _ in UInt8.random(in: 0...255) }
            report(.unknownIdentity, state: state)
        }
        key.withUnsafeBufferPointer { pskScratchBytes.update(from: $0.baseAddress!, count: $0.count) }
        pskScratch.pointee = coap_bin_const_t(length: key.count, s: UnsafePointer(pskScratchBytes))
        return UnsafePointer(pskScratch)
    }

    /// Delivers a handshake outcome once per session.
    func report(_ outcome: DTLSHandshakeEvent.Outcome, state: DTLSSessionState) {
        guard !state.reported else { return }
        state.reported = true
        let event = DTLSHandshakeEvent(outcome: outcome, identity: state.identity, peer: state.peer)
        if outcome == .established {
            logger.debug("DTLS handshake", metadata: ["dtls.peer": "\(state.peer)", "dtls.identity": "\(state.identity ?? "-")"])
        } else {
            logger.notice("DTLS handshake refused", metadata: [
                "dtls.peer": "\(state.peer)", "dtls.identity": "\(state.identity ?? "-")", "dtls.outcome": "\(outcome)",
            ])
        }
        dtls?.onHandshake?(event)
    }
}
