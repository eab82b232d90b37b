/// The answer to a request that a ``CoAPRouter/DeferrableHandler`` did not answer at once.
///
/// When the handler returns `nil`, the server waits for `send(_:)`, which may be called from any
/// thread. A confirmable request's ACK is held back meanwhile, so an answer sent within half a
/// second rides on it (piggybacked, as if answered at once); after that the server sends an empty
/// ACK, and the answer goes out as a separate message (same token). When the handler returns a
/// response, that response is the answer and `send(_:)` does nothing. Only the first `send`
/// counts. No task is made and no thread is waited on, so a handler can hand many requests to one
/// worker (the gateway's group commit) and answer them all when it is done.
public final class CoAPDeferredResponse: Sendable {
    let endpoint: LibCoAPEndpoint
    let id: UInt64

    init(endpoint: LibCoAPEndpoint, id: UInt64) {
        self.endpoint = endpoint
        self.id = id
    }

    /// Sends `response` as the answer. Any thread; returns at once.
    public func send(_ response: CoAPResponse) {
        let endpoint = self.endpoint, id = self.id
        _ = endpoint.executeIfRunning {
            Self.answer(id, with: response, on: endpoint)
        }
    }

    /// Sends many answers: one hand-over to each server's loop instead of one per answer. Any
    /// thread; returns at once.
    public static func sendAll(_ answers: [(CoAPDeferredResponse, CoAPResponse)]) {
        var start = answers.startIndex
        while start < answers.endIndex {
            let endpoint = answers[start].0.endpoint
            var end = start + 1
            while end < answers.endIndex, answers[end].0.endpoint === endpoint { end += 1 }
            let group = answers[start..<end].map { ($0.0.id, $0.1) }
            _ = endpoint.executeIfRunning {
                for (id, response) in group { answer(id, with: response, on: endpoint) }
            }
            start = end
        }
    }

    /// Loop thread.
    private static func answer(_ id: UInt64, with response: CoAPResponse, on endpoint: LibCoAPEndpoint) {
        guard let detached = endpoint.deferredResponses.removeValue(forKey: id) else { return }
        endpoint.server?.sendLate(response, for: detached)
        detached.release()
    }
}

