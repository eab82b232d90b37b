import Platform

/// Where one request's answer goes, from whichever thread has it. Before the server's C callback
/// for the request has returned, an answer is piggybacked on the ACK; after that it rides on the
/// held-back ACK or goes as a separate response (``LateAnswer``), sent from the loop thread.
///
/// The server makes one per request whose handler may answer later; a package-internal route
/// (``CoAPRouter/on(_:_:attributes:replying:)``) is handed it, so a stage that answers from a
/// thread of its own (the gateway's commit queue) needs no task per request. The first answer
/// counts; later ones, and any after the server has stopped, are dropped.
///
/// `@unchecked Sendable`: `lock` guards `state`. The ``LateAnswer`` and ``ServerState`` it holds
/// are used only on the loop thread: another thread only carries them back there.
package final class CoAPReply: @unchecked Sendable {
    private enum State {
        /// The C callback is still running.
        case pending
        /// Answered before the callback finished with the request.
        case answered(CoAPResponse)
        /// The callback has returned: the answer goes to `answer`.
        case waiting(LateAnswer, ServerState)
        /// Answered, or nothing may be sent any more.
        case closed
    }

    private let lock = PThreadMutex()
    private var state = State.pending

    init() {}

    /// Answers the request. Any thread; only the first answer counts.
    package func send(_ response: CoAPResponse) {
        guard let (answer, server) = take(response) else { return }
        Self.sendLate([(answer, response)], on: server)
    }

    /// Answers several requests at once: from another thread, one trip to each server's loop for
    /// all of them (a commit worker answering a batch wakes the loop once).
    package static func send(_ answers: [(reply: CoAPReply, response: CoAPResponse)]) {
        var late: [(LateAnswer, CoAPResponse)] = []
        var server: ServerState?
        for (reply, response) in answers {
            guard let (answer, owner) = reply.take(response) else { continue }
            if server == nil { server = owner }
            if owner === server { late.append((answer, response)) } else { sendLate([(answer, response)], on: owner) }
        }
        if let server, !late.isEmpty { sendLate(late, on: server) }
    }

    /// Records `response` as the answer; the late answer to send it to, if the callback has
    /// returned.
    private func take(_ response: CoAPResponse) -> (LateAnswer, ServerState)? {
        lock.withLock {
            switch state {
            case .pending:
                state = .answered(response)
                return nil
            case .waiting(let answer, let server):
                state = .closed
                return (answer, server)
            case .answered, .closed:
                return nil
            }
        }
    }

    private static func sendLate(_ late: [(LateAnswer, CoAPResponse)], on server: ServerState) {
        if server.loop.isCurrentThread {
            for (answer, response) in late { server.sendLateIfRunning(response, for: answer) }
        } else {
            let carried = CarriedAnswers(late: late, server: server)
            _ = server.loop.execute {
                for (answer, response) in carried.late { carried.server.sendLateIfRunning(response, for: answer) }
            }
        }
    }

    /// The answer, if one came while the callback was running; the reply is closed then. Loop
    /// thread.
    func takeEarlyAnswer() -> CoAPResponse? {
        lock.withLock {
            guard case .answered(let response) = state else { return nil }
            state = .closed
            return response
        }
    }

    /// The callback is returning without an answer: the answer, when it comes, goes to `answer`.
    /// Returns an answer that came in between (send it now). Loop thread.
    func wait(for answer: LateAnswer, on server: ServerState) -> CoAPResponse? {
        lock.withLock {
            switch state {
            case .pending:
                state = .waiting(answer, server)
                return nil
            case .answered(let response):
                state = .closed
                return response
            case .waiting, .closed:
                return nil
            }
        }
    }

    /// Nothing may be sent for this request any more.
    func close() { lock.withLock { state = .closed } }
}

/// Late answers on their way back to the loop thread from another.
///
/// `@unchecked Sendable`: the answers are used only once they are back on the loop thread.
private struct CarriedAnswers: @unchecked Sendable {
    let late: [(LateAnswer, CoAPResponse)]
    let server: ServerState
}
