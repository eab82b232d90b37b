internal import CLibCoAP

/// What a separate response needs after the C callback has returned: a referenced session, a
/// copy of the request and its query. Loop thread only; released exactly once.
final class DetachedResponse {
    let session: OpaquePointer
    let request: OpaquePointer
    let resource: OpaquePointer?
    let query: UnsafeMutablePointer<coap_string_t>?
    private var released = false

    init?(session: OpaquePointer, request: OpaquePointer, resource: OpaquePointer?) {
        let token = coap_pdu_get_token(request)
        guard let copy = coap_pdu_duplicate(request, session, token.length, token.s, nil) else { return nil }
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
