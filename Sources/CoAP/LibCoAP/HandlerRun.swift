/// One request's handler while it runs as a task (started with `Task.immediate`, preferring the
/// loop as its executor), and where its answer goes: into the C callback's response when the
/// handler returns before it first suspends, else to the request's ``LateAnswer``.
///
/// `@unchecked Sendable`: used only on the loop thread. The task that completes it prefers the
/// loop, so its last step runs there too; after the loop has stopped it may run elsewhere, and
/// then it only reads ``ServerState/isStopped`` and drops the answer.
final class HandlerRun: @unchecked Sendable {
    private enum State {
        case running
        case done(CoAPResponse)
        case waiting(LateAnswer, ServerState)
        case dropped
    }

    private var state = State.running

    /// The handler's answer.
    func finish(_ response: CoAPResponse) {
        switch state {
        case .running: state = .done(response)
        case .waiting(let answer, let server):
            state = .dropped
            if !server.isStopped { server.sendLate(response, for: answer) }
        case .done, .dropped: break
        }
    }

    /// The answer, if the handler returned without suspending.
    var answerIfDone: CoAPResponse? {
        if case .done(let response) = state { return response }
        return nil
    }

    /// The handler suspended: its answer goes to `answer` when it comes.
    func wait(for answer: LateAnswer, on server: ServerState) { state = .waiting(answer, server) }

    /// Nothing may be sent for this request any more (a notification's handler that suspended).
    func drop() { state = .dropped }
}
