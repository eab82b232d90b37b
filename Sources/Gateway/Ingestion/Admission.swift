import CoAP

/// Stage 2 of `POST /readings`: what is refused before any work is done on the message — the
/// channel's device when it is locked out, and a message over the size limit.
struct Admission: Sendable {
    let maxPayloadBytes: Int
    let monitor: SecurityMonitor
    let refusals: Refusals

    func check(_ request: CoAPRequest, from identity: PeerIdentity) -> CoAPResponse? {
        // Nothing is refused for the source address: over plain CoAP it can be spoofed, and a
        // device that proves itself (its session, or a seal that verifies) is served.
        if let device = identity.deviceID, monitor.isLockedOut(deviceID: device) {
            return refusals.refuse(.forbidden, nil, device: device, source: request.peer, "device locked out after repeated failures; try later")
        }
        guard request.payload.count <= maxPayloadBytes else {
            return refusals.refuse(.requestEntityTooLarge, .oversized, device: identity.deviceID, source: request.peer,
                                   "payload of \(request.payload.count) bytes; at most \(maxPayloadBytes)")
        }
        return nil
    }
}
