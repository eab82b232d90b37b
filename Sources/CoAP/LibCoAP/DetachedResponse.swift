internal import CLibCoAP

/// What a late response needs after the C callback has returned: a referenced session, a copy of
/// the request (with a message ID of its own: libcoap gives copies new ones) and its query, and
/// the request's own message ID. Loop thread only; released exactly once.
final class DetachedResponse {
    let session: OpaquePointer
    let request: OpaquePointer
    let resource: OpaquePointer?
    let query: UnsafeMutablePointer<coap_string_t>?
    /// The original request's message ID: a piggybacked answer or an empty ACK carries it.
    let messageID: coap_mid_t
    private var released = false

    init?(session: OpaquePointer, request: OpaquePointer, resource: OpaquePointer?) {
        let token = coap_pdu_get_token(request)
        guard let copy = coap_pdu_duplicate(request, session, token.length, token.s, nil) else { return nil }
        self.messageID = coap_pdu_get_mid(request)
        self.session = coap_session_reference(session)
        self.request = copy
        self.resource = resource
        self.query = coap_get_query(copy)
    }

    func release() {
        guard !released else { return }
        released = true
        coap_delete_pdu(request)
        if let query { coap_delete_string(query) }
        coap_session_release(session)
    }
}
