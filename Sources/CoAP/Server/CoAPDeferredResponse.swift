/// The answer to a request that a ``CoAPRouter/DeferrableHandler`` did not answer at once.
///
/// When the handler returns `nil`, the server acknowledges a confirmable request with an empty
/// ACK and waits for `send(_:)`, which may be called from any thread: the response then goes out
/// as a separate message (same token). When the handler returns a response, that response rides
/// on the ACK and `send(_:)` does nothing. Only the first `send` counts. No task is made and no
/// thread is waited on, so a handler can hand many requests to one worker (the gateway's group
/// commit) and answer them all when it is done.
public final class CoAPDeferredResponse: Sendable {
    let endpoint: LibCoAPEndpoint
    let id: UInt64

    init(endpoint: LibCoAPEndpoint, id: UInt64) {
        self.endpoint = endpoint
        self.id = id
    }

    /// Sends `response` as the separate response. Any thread; returns at once.
    public func send(_ response: CoAPResponse) {
        let endpoint = self.endpoint, id = self.id
        _ = endpoint.executeIfRunning {
            guard let detached = endpoint.deferredResponses.removeValue(forKey: id) else { return }
            endpoint.server?.sendSeparate(response, for: detached)
            detached.release()
        }
    }
}
