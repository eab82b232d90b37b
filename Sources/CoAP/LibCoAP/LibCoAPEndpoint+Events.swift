internal import CLibCoAP
import Logging

extension LibCoAPEndpoint {
    /// libcoap session events. Loop thread (called from inside libcoap).
    func handleEvent(session: OpaquePointer, event: coap_event_t) {
        guard !isTearingDown else { return }
        if event == COAP_EVENT_SERVER_SESSION_DEL { server?.sessionDeleted(session) }
        if coap_session_get_proto(session) == COAP_PROTO_DTLS {
            handleDTLSEvent(session: session, event: event)
            if dtlsSessions[session] != nil || coap_session_get_type(session) == COAP_SESSION_TYPE_SERVER { return }
        }
        switch event {
        case COAP_EVENT_SESSION_FAILED, COAP_EVENT_DTLS_ERROR:
            failExchanges(on: session, with: CoAPError(.unreachable, "the session to the peer failed"))
        default:
            break
        }
    }
}
