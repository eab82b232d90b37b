import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A dedicated thread that calls `tick` every `interval` seconds until ``stop()``.
///
/// It is a plain thread, not a task: the work it does (a small SQLite read, occasionally a cache
/// rebuild and a batched write) blocks, and must stay off Swift's cooperative pool.
// @unchecked Sendable: `stopRequested`, `finished` and `threadID` are read and written only while
// `condition` is locked.
final class PollingThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopRequested = false
    private var finished = false
    private var started = false
    private var threadID: pthread_t?
    private let interval: TimeInterval
    private let name: String

    init(name: String, interval: TimeInterval) {
        self.name = name
        self.interval = max(0.01, interval)
    }

    /// Starts the thread. `tick` runs on it, never concurrently with itself.
    func start(_ tick: @escaping @Sendable () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard !started, !stopRequested else { return }
        started = true
        let thread = Thread { [self] in self.run(tick) }
        thread.name = name
        thread.start()
    }

    private func run(_ tick: @Sendable () -> Void) {
        condition.lock()
        threadID = pthread_self()
        condition.unlock()
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(interval)
            while !stopRequested && Date() < deadline {
                _ = condition.wait(until: deadline)
            }
            let stop = stopRequested
            condition.unlock()
            if stop { break }
            tick()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread and waits until it has finished its current tick (unless called from the
    /// thread itself). Idempotent.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopRequested = true
        condition.broadcast()
        guard started else { return }
        if let threadID, pthread_equal(threadID, pthread_self()) != 0 { return }
        while !finished { condition.wait() }
    }
}
