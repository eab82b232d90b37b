import Platform
/// Where a handler's response meets the libcoap callback that asked for it.
///
/// The loop runs the handler with `Task.immediate`. If the handler finishes before the task
/// first suspends, the response is in the slot when the C callback resumes and is piggybacked on
/// the ACK. Otherwise the loop detaches: libcoap sends an empty ACK, and the handler's eventual
/// response goes to `onLateResponse`, which sends it as a separate message.
///
/// `@unchecked Sendable`: `lock` guards `state`.
final class ResponseSlot: @unchecked Sendable {
    private enum State {
        case running
        case done(CoAPResponse)
        case detached(@Sendable (CoAPResponse) -> Void)
    }

    private let lock = PThreadMutex()
    private var state = State.running

    /// Called by the handler's task when it has a response.
    func complete(_ response: CoAPResponse) {
        let late: (@Sendable (CoAPResponse) -> Void)? = lock.withLock {
            if case .detached(let callback) = state { return callback }
            state = .done(response)
            return nil
        }
        late?(response)
    }

    /// The response, if the handler has already finished.
    func takeIfDone() -> CoAPResponse? {
        lock.withLock {
            if case .done(let r) = state { return r }
            return nil
        }
    }

    /// Called by the loop once the task has returned control: the response if it is ready,
    /// otherwise `nil` after installing `onLateResponse`.
    func takeOrDetach(onLateResponse: @escaping @Sendable (CoAPResponse) -> Void) -> CoAPResponse? {
        lock.withLock {
            if case .done(let r) = state { return r }
            state = .detached(onLateResponse)
            return nil
        }
    }
}
