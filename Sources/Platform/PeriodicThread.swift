#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An ``OwnedThread`` that calls `tick` every `interval` until ``stop()``: for periodic work that
/// blocks (a small SQLite read, a batched write) and must stay off Swift's cooperative pool.
///
/// The wait between ticks is on a condition (monotonic clock), so ``stop()`` ends it at once;
/// a tick in progress is finished first.
///
/// `@unchecked Sendable`: the mutable state (`started`, `stopRequested`) is only touched under `mutex`.
package final class PeriodicThread: @unchecked Sendable {
    private let name: String
    private let intervalNanoseconds: UInt64
    private let thread = OwnedThread()
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var started = false
    private var stopRequested = false

    /// A thread named `name` that will tick every `interval` (at least 10 ms) once started.
    package init(name: String, interval: Duration) {
        self.name = name
        intervalNanoseconds = max(10_000_000, interval.nanoseconds)
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Starts the thread; `tick` runs on it, never concurrently with itself. Does nothing once
    /// started or stopped.
    package func start(_ tick: @escaping @Sendable () -> Void) throws(OwnedThread.StartFailure) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !started, !stopRequested else { return }
        try thread.start(name: name) { [self] in self.run(tick) }
        started = true
    }

    private func run(_ tick: @Sendable () -> Void) {
        while true {
            pthread_mutex_lock(mutex)
            let deadline = monotonicNanoseconds() + intervalNanoseconds
            while !stopRequested {
                let now = monotonicNanoseconds()
                if now >= deadline { break }
                #if canImport(Glibc)
                var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                _ = pthread_cond_timedwait(condition, mutex, &until)
                #elseif canImport(Darwin)
                let left = deadline - now
                var relative = timespec(tv_sec: Int(left / 1_000_000_000), tv_nsec: Int(left % 1_000_000_000))
                _ = pthread_cond_timedwait_relative_np(condition, mutex, &relative)
                #endif
            }
            let stop = stopRequested
            pthread_mutex_unlock(mutex)
            if stop { return }
            tick()
        }
    }

    /// Stops the thread and waits until it has finished its current tick (unless called from the
    /// thread itself, from a tick). Idempotent.
    package func stop() {
        pthread_mutex_lock(mutex)
        stopRequested = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        thread.join()
    }
}
