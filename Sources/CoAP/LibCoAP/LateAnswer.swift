internal import CLibCoAP

/// A request whose handler suspended, waiting for its answer after the C callback that brought it
/// has returned: a referenced session, a copy of the request (its token, options and query) and
/// the request's own message ID, which a piggybacked answer or an empty ACK carries. While
/// ``holdsAck`` is true, the request's ACK has not been sent, and the answer rides on it.
///
/// Loop thread only. What it holds in libcoap is freed in `deinit`, or earlier by ``release()``
/// when the server stops before the answer comes (libcoap frees its sessions then).
final class LateAnswer {
    private(set) var session: OpaquePointer?
    private(set) var request: OpaquePointer?
    let resource: OpaquePointer?
    private(set) var query: UnsafeMutablePointer<coap_string_t>?
    let messageID: coap_mid_t
    let isConfirmable: Bool
    let hasBlock2: Bool
    /// The Observe value libcoap gave the response when the request registered an observer: it
    /// puts the option in the response before the handler runs and takes it out again when the
    /// handler returns without a 2.xx code, which a handler that suspended has not set yet. A
    /// successful late answer carries it (RFC 7641 §4.1).
    let observe: UInt32?
    /// The request's ACK is held back: the answer can still be piggybacked.
    var holdsAck = false

    init?(session: OpaquePointer, request: OpaquePointer, response: OpaquePointer, resource: OpaquePointer?) {
        let token = coap_pdu_get_token(request)
        guard let copy = coap_pdu_duplicate(request, session, token.length, token.s, nil) else { return nil }
        messageID = coap_pdu_get_mid(request)
        isConfirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON
        hasBlock2 = LibCoAPPDU.options(of: request).contains(.block2)
        observe = LibCoAPPDU.options(of: response).observe
        self.session = coap_session_reference(session)
        self.request = copy
        self.resource = resource
        query = coap_get_query(copy)
    }

    /// The key that tells a retransmitted copy of the request (RFC 7252 §4.5).
    var key: RequestMessageKey? { session.map { RequestMessageKey(session: $0, messageID: messageID) } }

    /// Frees the request copy and lets go of the session. Idempotent.
    func release() {
        if let request { coap_delete_pdu(request) }
        if let query { coap_delete_string(query) }
        if let session { coap_session_release(session) }
        request = nil
        query = nil
        session = nil
    }

    deinit { release() }
}
