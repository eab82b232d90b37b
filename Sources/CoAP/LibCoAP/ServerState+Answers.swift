internal import CLibCoAP
import Platform

/// How an answer travels (docs/architecture.md, "How a request is answered"): piggybacked on the
/// ACK when the handler returns without suspending; on the held-back ACK when it finishes within
/// ``ackHoldSeconds`` (one datagram each way, as if answered at once); after that, as a separate
/// response, the request having been acknowledged with an empty ACK so the client does not
/// retransmit.
extension ServerState {
    /// How long an ACK is held back: well under the 2 s ACK_TIMEOUT after which RFC 7252 clients
    /// retransmit.
    static let ackHoldSeconds = 0.5
    /// The sweep that sends the empty ACKs runs at most this often (a hold may last up to this much
    /// longer), so a busy server does not set a timer per request.
    static let ackSweepSeconds = 0.05
    /// NSTART of a server session that sends separate responses (see `sendSeparate`).
    static let separateResponseNSTART: UInt16 = 4096

    /// Calls `responder` for `request` and answers the way its timing allows: an immediate
    /// handler in line; an async one as a task preferring the loop (in line until it first
    /// suspends); a replying one with a ``CoAPReply`` it may answer from any thread.
    func answer(
        _ request: CoAPRequest, with responder: CoAPRouter.Responder, resource: OpaquePointer?, session: OpaquePointer,
        requestPDU: OpaquePointer, responsePDU: OpaquePointer, isNotification: Bool
    ) {
        let hasBlock2 = request.options.contains(.block2)
        let reply: CoAPReply
        switch responder {
        case .immediate(let handler):
            // Answered before the callback returns: no reply to keep.
            let response: CoAPResponse
            do { response = try handler(request) } catch { response = failed(request, error) }
            write(response, into: responsePDU, resource: resource, session: session, request: requestPDU, query: nil, forceLarge: hasBlock2)
            return
        case .async(let handler):
            reply = CoAPReply()
            Task.immediate(executorPreference: loop) { [self] in
                let response: CoAPResponse
                do { response = try await handler(request) } catch { response = failed(request, error) }
                reply.send(response)
            }
        case .replying(let handler):
            reply = CoAPReply()
            handler(request, reply)
        }
        if let response = reply.takeEarlyAnswer() {
            write(response, into: responsePDU, resource: resource, session: session, request: requestPDU, query: nil, forceLarge: hasBlock2)
            return
        }
        if isNotification {
            // libcoap sends a notification when the handler returns: it cannot wait. The observer
            // is told to come back (a 5.xx ends its registration; it registers again).
            reply.close()
            var unavailable = CoAPResponse.status(.serviceUnavailable)
            unavailable.options.maxAge = 1
            write(unavailable, into: responsePDU, resource: resource, session: session, request: requestPDU, query: nil, forceLarge: false)
            return
        }
        guard let answer = LateAnswer(session: session, request: requestPDU, response: responsePDU, resource: resource) else {
            reply.close()
            coap_pdu_set_code(responsePDU, LibCoAPPDU.pduCode(CoAPResponseCode.internalServerError.rawValue))
            return
        }
        if let key = answer.key { lateAnswers[key] = answer }
        if answer.isConfirmable { holdAck(of: answer, response: responsePDU) }
        // An answer from another thread may have come in between.
        if let response = reply.wait(for: answer, on: self) { sendLate(response, for: answer) }
    }

    /// A handler threw: 5.00, with no details on the wire.
    private func failed(_ request: CoAPRequest, _ error: any Error) -> CoAPResponse {
        logger.error("handler failed; answering 5.00", metadata: [
            "coap.method": "\(request.method)", "coap.path": "\(request.path)", "error": "\(error)",
        ])
        return CoAPResponse.status(.internalServerError)
    }

    /// Sends a late answer unless the server has stopped (libcoap's sessions are gone then).
    func sendLateIfRunning(_ response: CoAPResponse, for answer: LateAnswer) {
        if !isStopped { sendLate(response, for: answer) }
    }

    /// Sends a late answer: on the request's ACK while that is still held back (piggybacked, the
    /// request's message ID), else as its own message (same token, a new message ID).
    func sendLate(_ response: CoAPResponse, for answer: LateAnswer) {
        if let key = answer.key { lateAnswers.removeValue(forKey: key) }
        defer { answer.release() }
        if answer.holdsAck {
            answer.holdsAck = false
            send(response, for: answer, type: COAP_MESSAGE_ACK, messageID: answer.messageID)
        } else {
            sendSeparate(response, for: answer)
        }
    }

    /// Sends a late answer as its own message (same token, new message ID).
    private func sendSeparate(_ response: CoAPResponse, for answer: LateAnswer) {
        guard let session = answer.session else { return }
        // libcoap 4.3.1 holds a CON beyond the session's NSTART (1 by default) in a delay queue
        // and, on a server session, does not release it when the earlier one is acknowledged.
        // Each separate response answers a request the client already has in flight, so the
        // client's own limit bounds them.
        if coap_session_get_nstart(session) < Self.separateResponseNSTART {
            coap_session_set_nstart(session, Self.separateResponseNSTART)
        }
        let type = answer.isConfirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON
        send(response, for: answer, type: type, messageID: Int32(coap_new_message_id(session)))
    }

    /// Sends a late answer in a message of `type` with `messageID`, the request's token, and the
    /// body block-wise when needed.
    private func send(_ response: CoAPResponse, for answer: LateAnswer, type: coap_pdu_type_t, messageID: coap_mid_t) {
        guard let session = answer.session, let request = answer.request,
              let pdu = coap_pdu_init(type, LibCoAPPDU.pduCode(response.code.rawValue), messageID, coap_session_max_pdu_size(session))
        else { return }
        LibCoAPPDU.addToken(LibCoAPPDU.token(of: request), to: pdu)
        // A registration answered late says it is one; a late failure leaves libcoap's observer
        // entry behind (4.3.1 exports no call that removes it) until the first notification, which
        // the client, having taken the failure as the end, rejects with a Reset.
        if let observe = answer.observe, response.code.isSuccess {
            var registered = CoAPOptions()
            registered.observe = observe
            _ = LibCoAPPDU.add(registered, to: pdu)
        }
        write(response, into: pdu, resource: answer.resource, session: session, request: request, query: answer.query,
              forceLarge: answer.hasBlock2)
        if coap_send(session, pdu) == COAP_INVALID_MID {
            logger.warning("could not send a late response", metadata: ["coap.code": "\(response.code)"])
        }
    }

    // MARK: Held ACKs

    /// Holds back the ACK of `answer`'s request (confirmable): libcoap drops an empty response of
    /// type NON, so nothing is sent now.
    private func holdAck(of answer: LateAnswer, response: OpaquePointer) {
        coap_pdu_set_type(response, COAP_MESSAGE_NON)
        answer.holdsAck = true
        heldAcks.append(answer, deadline: monotonicNanoseconds() &+ UInt64(Self.ackHoldSeconds * 1e9))
        if ackSweep == nil { armAckSweep(now: monotonicNanoseconds()) }
    }

    private func armAckSweep(now: UInt64) {
        guard let deadline = heldAcks.nextDeadline else {
            ackSweep = nil
            return
        }
        let at = max(deadline, now &+ UInt64(Self.ackSweepSeconds * 1e9))
        ackSweep = loop.timers.schedule(afterNanoseconds: at - now) { [unowned self] in self.sweepHeldAcks() }
    }

    /// Acknowledges (empty ACK) the held requests whose hold is over and that are still unanswered.
    private func sweepHeldAcks() {
        let now = monotonicNanoseconds()
        for answer in heldAcks.popDue(now: now) where answer.holdsAck {
            answer.holdsAck = false
            guard let session = answer.session, let ack = coap_pdu_init(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, answer.messageID, 0) else { continue }
            if coap_send(session, ack) == COAP_INVALID_MID {
                logger.debug("could not send an empty ACK for a held request")
            }
        }
        armAckSweep(now: now)
    }

    /// RFC 7252 §4.5: a request is processed once, however many copies of it arrive (a
    /// retransmission, a datagram the network duplicated). A copy of a request still waiting for
    /// its late answer is not handed to a handler: when the request's ACK is held, or the request
    /// was non-confirmable, nothing is sent for the copy (libcoap drops an empty NON response; the
    /// held ACK, when it goes, acknowledges both); when the empty ACK has gone, it goes again (the
    /// response PDU libcoap made for the copy is that ACK), so the client stops retransmitting and
    /// waits for the separate response.
    func isCopyOfLateRequest(session: OpaquePointer, request: OpaquePointer, response: OpaquePointer) -> Bool {
        guard let answer = lateAnswers[RequestMessageKey(session: session, messageID: coap_pdu_get_mid(request))] else { return false }
        if answer.holdsAck || !answer.isConfirmable { coap_pdu_set_type(response, COAP_MESSAGE_NON) }
        return true
    }

    // MARK: Writing a response

    /// Fills a response PDU: code, options, body (block-wise through libcoap when large or when
    /// the client asked for blocks).
    func write(
        _ response: CoAPResponse, into pdu: OpaquePointer, resource: OpaquePointer?, session: OpaquePointer,
        request: OpaquePointer, query: UnsafeMutablePointer<coap_string_t>?, forceLarge: Bool
    ) {
        coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(response.code.rawValue))
        let maxPDU = Int(coap_session_max_pdu_size(session))
        let optionBytes = response.options.reduce(0) { $0 + $1.value.count + 3 }
        let large = resource != nil && (forceLarge || response.payload.count + optionBytes + 16 > maxPDU)
        if !large {
            _ = LibCoAPPDU.add(response.options, to: pdu, skipping: LibCoAPPDU.isManagedByLibCoAP)
            if !response.payload.isEmpty {
                response.payload.withUnsafeBufferPointer { _ = coap_add_data(pdu, $0.count, $0.baseAddress) }
            }
            return
        }
        // A block past the end of the representation is a bad option (RFC 7959 §2.4: 4.02).
        if forceLarge, let asked = LibCoAPPDU.options(of: request).block2, asked.number > 0,
           Int(asked.number) * asked.size >= response.payload.count
        {
            coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(CoAPResponseCode.badOption.rawValue))
            return
        }
        // libcoap adds Content-Format, Max-Age, ETag, Block2 and Size2 itself on this path.
        let handledByLarge: (CoAPOptionNumber) -> Bool = {
            LibCoAPPDU.isManagedByLibCoAP($0) || $0 == .contentFormat || $0 == .maxAge || $0 == .eTag
        }
        _ = LibCoAPPDU.add(response.options, to: pdu, skipping: handledByLarge)
        let format = response.options.contentFormat?.rawValue ?? ContentFormat.octetStream.rawValue
        let maxAge = response.options.maxAge.map { Int32(clamping: $0) } ?? -1
        let etag = response.options.eTags.first.map { $0.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) } } ?? 0
        let body = LargeBody.copy(response.payload)
        // libcoap matches the client's next Block2 requests to this body by resource and query:
        // without the query, a request that had one is served only its first block.
        let ownQuery = query == nil ? coap_get_query(request) : nil
        defer { if let ownQuery { coap_delete_string(ownQuery) } }
        let ok = coap_add_data_large_response(
            resource, session, request, pdu, query ?? ownQuery, format, maxAge, etag, response.payload.count, body, LargeBody.release, body)
        if ok == 0 {
            coap_pdu_set_code(pdu, LibCoAPPDU.pduCode(CoAPResponseCode.internalServerError.rawValue))
        }
    }
}
