import CoAP

/// How the stages turn a message down: the answer a client reads, and the security event pinned
/// on what the refusal proves (see ``SecurityMonitor``).
struct Refusals: Sendable {
    let monitor: SecurityMonitor

    /// Records `event` (when given) and returns the answer. `device` is the device the refusal
    /// proves misbehaved (the channel's, or a verified seal's); `claimed` one only named.
    func refuse(
        _ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, device: String?, claimed: String? = nil,
        source: CoAPPeerAddress?, _ message: String
    ) -> CoAPResponse {
        if let event { monitor.record(event, device: device, claimed: claimed, source: source, detail: message) }
        var response = CoAPResponse(text: message)
        response.code = code
        return response
    }
}

/// What a stage made of a message: it goes on, or it is answered now.
enum StageResult<Passed> {
    case passed(Passed)
    case refused(CoAPResponse)
}
