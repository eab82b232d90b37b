import Dispatch

/// The serial executor of a ``NodeReporter``: a private dispatch queue.
///
/// The reporter fsyncs its queue files inside its own methods; running them on this queue keeps
/// that blocking file work off Swift's cooperative thread pool (two threads on a two-core node),
/// while network waits still suspend and free the queue. GRDB's `DispatchQueueActor` does the same.
final class NodeExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
