internal import CLibCoAP
import Platform

// C callbacks for DTLS. Non-capturing: each finds its context through the libcoap session
// (directly, or through the SSL connection's app data, where libcoap's OpenSSL backend keeps it),
// then the server or client side the session belongs to. All run on the loop thread, inside
// libcoap or OpenSSL calls.

/// Whether a libcoap session is one of the server's (accepted, or still in the hello phase).
private func isServerSession(_ session: OpaquePointer) -> Bool {
    let type = coap_session_get_type(session)
    return type == COAP_SESSION_TYPE_SERVER || type == COAP_SESSION_TYPE_HELLO
}

/// The server's PSK lookup (`coap_dtls_spsk_t.validate_id_call_back`).
let libcoapPSKLookup: coap_dtls_id_callback_t = { identity, session, _ in
    guard let identity, let session, let server = LibCoAPContext.from(session: session)?.server else { return nil }
    return server.pskKey(for: identity.pointee, session: session)
}

/// Runs after libcoap has set up an SSL connection (`additional_tls_setup_call_back`): our own
/// certificate verification replaces libcoap's, so the reason for a refusal, the host-name check
/// and the certificate-to-identity mapping are ours; alerts are recorded on the way.
let libcoapTLSSetup: coap_dtls_security_setup_t = { tls, _ in
    guard let tls else { return 0 }
    let ssl = OpaquePointer(tls)
    SSL_set_info_callback(ssl, dtlsInfoCallback)
    let mode = SSL_get_verify_mode(ssl)
    guard mode & SSL_VERIFY_PEER != 0 else { return 1 }  // a PSK session, or an insecure client
    var newMode = mode
    if SSL_is_server(ssl) == 1, let raw = scoap_ssl_session(ssl),
        let pki = LibCoAPContext.from(session: OpaquePointer(raw))?.server?.dtls?.pki
    {
        newMode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE | (pki.requireClientCertificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0)
    }
    SSL_set_verify(ssl, newMode, dtlsVerifyCallback)
    return 1
}

/// OpenSSL's certificate-verification callback, once per certificate in the peer's chain.
let dtlsVerifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
    guard let store, let ssl = scoap_ssl_of_store(store), let raw = scoap_ssl_session(ssl) else { return 0 }
    let session = OpaquePointer(raw)
    guard let context = LibCoAPContext.from(session: session) else { return 0 }
    let accepted = isServerSession(session)
        ? context.server?.verifyClientCertificate(session: session, preverified: preverified == 1, store: store)
        : context.client?.verifyServerCertificate(session: session, preverified: preverified == 1, store: store)
    return accepted == true ? 1 : 0
}

/// Records DTLS alerts, then hands over to libcoap's own info callback (set on the SSL_CTX).
let dtlsInfoCallback: @convention(c) (OpaquePointer?, Int32, Int32) -> Void = { ssl, location, value in
    guard let ssl else { return }
    if location & SSL_CB_ALERT != 0, let raw = scoap_ssl_session(ssl), let context = LibCoAPContext.from(session: OpaquePointer(raw)) {
        let session = OpaquePointer(raw)
        let text = String(cString: SSL_alert_desc_string_long(value))
        if isServerSession(session) {
            context.server?.recordAlert(session: session, text: text, received: location & SSL_CB_READ != 0)
        } else {
            context.client?.recordAlert(session: session, text: text, received: location & SSL_CB_READ != 0)
        }
    }
    if let original = SSL_CTX_get_info_callback(SSL_get_SSL_CTX(ssl)) {
        original(ssl, location, value)
    }
}

/// OpenSSL's cookie-generation callback on libcoap's DTLS SSL_CTX, in place of libcoap's: the
/// front door's cookie for the peer it just admitted (see `DTLSAdmission`).
let dtlsCookieGenerate: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> Int32 = { ssl, out, length in
    guard let out, let length, let admission = DTLSAdmission.owning(ssl) else { return 0 }
    let cookie = admission.cookieForAdmittedPeer(now: monotonicNanoseconds())
    cookie.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    length.pointee = UInt32(cookie.count)
    return 1
}

/// OpenSSL's cookie-verification callback on libcoap's DTLS SSL_CTX, in place of libcoap's.
let dtlsCookieVerify: @convention(c) (OpaquePointer?, UnsafePointer<UInt8>?, UInt32) -> Int32 = { ssl, cookie, length in
    guard let cookie, let admission = DTLSAdmission.owning(ssl) else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: cookie, count: Int(length)))
    return admission.isValidCookieForAdmittedPeer(bytes, now: monotonicNanoseconds()) ? 1 : 0
}
