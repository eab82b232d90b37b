internal import CLibCoAP
import Platform

/// Piggybacked late answers (RFC 7252 §5.2.1): a deferrable handler's confirmable request is not
/// acknowledged at once; its answer, when it comes within ``ackHoldSeconds``, rides on the ACK —
/// one datagram each way, as for a request answered at once, where an empty ACK followed by a
/// confirmable separate response costs four (and a retransmission timer per response). A request
/// still unanswered after the hold gets an empty ACK, so the client does not retransmit, and its
/// answer later goes out as a separate response.
extension ServerBinding {
    /// How long an ACK is held back. Well under the 2 s ACK_TIMEOUT after which RFC 7252 clients
    /// retransmit; the gateway's grouped commits answer in a few milliseconds.
    static let ackHoldSeconds = 0.5
    /// The sweep that sends the empty ACKs runs at most this often (the hold may thus last up to
    /// this much longer), so a busy server does not set a timer per request.
    static let ackSweepSeconds = 0.05

    /// Holds back the ACK of `detached`'s request (confirmable): libcoap drops an empty response
    /// of type NON, so nothing is sent now.
    func holdAck(of detached: DetachedResponse, id: UInt64, response: OpaquePointer) {
        coap_pdu_set_type(response, COAP_MESSAGE_NON)
        heldAckIDs[HeldRequestKey(detached)] = id
        heldAcks.append(id: id, deadline: monotonicNanoseconds() &+ UInt64(Self.ackHoldSeconds * 1e9))
        if ackSweep == nil { armAckSweep(now: monotonicNanoseconds()) }
    }

    private func armAckSweep(now: UInt64) {
        guard let deadline = heldAcks.nextDeadline else {
            ackSweep = nil
            return
        }
        let earliest = now &+ UInt64(Self.ackSweepSeconds * 1e9)
        let at = max(deadline, earliest)
        ackSweep = endpoint.timers.schedule(afterNanoseconds: at - now) { [unowned self] in
            self.sweepHeldAcks()
        }
    }

    /// Acknowledges (empty ACK) the held requests whose hold is over and that are still unanswered.
    private func sweepHeldAcks() {
        let now = monotonicNanoseconds()
        for id in heldAcks.popDue(now: now) {
            guard let detached = endpoint.deferredResponses[id], isHoldingAck(of: detached) else { continue }
            releaseAck(of: detached)
            guard let ack = coap_pdu_init(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, detached.messageID, 0) else { continue }
            if coap_send(detached.session, ack) == COAP_INVALID_MID {
                logger.debug("could not send an empty ACK for a held request")
            }
        }
        armAckSweep(now: now)
    }

    /// Whether `detached`'s request has not been acknowledged yet: its answer can still ride on
    /// the ACK.
    func isHoldingAck(of detached: DetachedResponse) -> Bool {
        !heldAckIDs.isEmpty && heldAckIDs[HeldRequestKey(detached)] != nil
    }

    /// The ACK is about to go out (with the answer, or empty): no longer held.
    func releaseAck(of detached: DetachedResponse) {
        heldAckIDs.removeValue(forKey: HeldRequestKey(detached))
    }

    /// RFC 7252 §4.5: a duplicate of a confirmable request is processed only once. A copy of a
    /// request whose ACK is held (a retransmission, or a datagram the network duplicated) is
    /// dropped here — nothing is sent for it now (libcoap drops an empty NON response); the
    /// held ACK, when it goes, acknowledges both.
    func isDuplicateOfHeldRequest(session: OpaquePointer, request: OpaquePointer, response: OpaquePointer) -> Bool {
        guard coap_pdu_get_type(request) == COAP_MESSAGE_CON,
              heldAckIDs[HeldRequestKey(session: session, messageID: coap_pdu_get_mid(request))] != nil
        else { return false }
        coap_pdu_set_type(response, COAP_MESSAGE_NON)
        return true
    }

    /// Sends a late response on the request's ACK (the request's message ID and token).
    func sendPiggybacked(_ response: CoAPResponse, for detached: DetachedResponse) {
        send(response, for: detached, type: COAP_MESSAGE_ACK, messageID: detached.messageID)
    }
}
