internal import CLibCoAP
import Logging
import Dispatch
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// What a ``CoAPLoop`` drives: libcoap's side of each turn. Loop thread only.
protocol CoAPLoopDriver: AnyObject {
    /// The epoll set the loop waits on (libcoap's: its sockets and timerfd).
    var epollDescriptor: Int32 { get }
    /// Lets libcoap send what is due (notifications, retransmissions) and re-arm its timerfd.
    func prepare()
    /// Hands `count` ready events to libcoap.
    func handle(_ pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ masks: UnsafeMutablePointer<UInt32>, count: Int)
    /// The loop is stopping: fail what is pending and free the C state, on the loop thread.
    func tearDown()
}

/// The thread that owns a libcoap context, and nothing else: a job queue other threads hand work
/// to, a wake-up, timers, and one wait (docs/architecture.md, "Threads").
///
/// Other threads queue jobs under a lock and write an eventfd that sits in libcoap's epoll set,
/// so one `epoll_wait` covers datagrams, libcoap's timerfd and jobs. Each turn runs the jobs and
/// the due timers, lets the driver prepare, waits, and hands the ready events to the driver. A
/// batch holding the wake-up is dropped: the jobs that came before those datagrams run first,
/// and the sockets (level-triggered) are reported again by the next wait. Handing the batch to
/// libcoap after the jobs would be unsafe: a job may free a session an event points to.
///
/// The loop is a `TaskExecutor`: request handlers run as tasks that prefer it, so what a handler
/// does after a suspension, and its answer, come back to the loop thread without another hop. It
/// is deliberately not a `SerialExecutor` as well: a job run isolated to it would have to hop off
/// (one more turn of the loop) at every step into nonisolated code, which is all of a handler.
///
/// Stopping drains: the jobs that jobs queue (a handler one step from its answer) still run, for
/// a bounded time, while libcoap can send. A task's job that arrives after the loop has stopped
/// runs on the global executor, so no task is lost; it finds the server stopped and sends nothing.
///
/// `@unchecked Sendable`: `lock` guards `jobs`, `spareJobs`, `wakePending`, `stopRequested`,
/// `started` and `stopped`; every other stored property is used only on the loop thread (or before
/// it starts).
final class CoAPLoop: @unchecked Sendable {
    let logger: Logger
    private let lock = PThreadMutex()
    private var jobs: [@Sendable () -> Void] = []
    private var spareJobs: [@Sendable () -> Void] = []
    private var wakePending = false
    private var stopRequested = false
    private var stopped = false
    private let wakeFD: Int32
    private let thread = OwnedThread()
    private var started = false
    private var driver: (any CoAPLoopDriver)?

    // Loop-thread state.
    var timers = LoopTimers()
    /// Set once the loop has stopped taking work: jobs still queued fail fast.
    private(set) var isTearingDown = false
    /// Set while the driver prepares: libcoap sends notifications then, calling GET handlers.
    private(set) var isPreparing = false

    /// `true` on the loop thread.
    var isCurrentThread: Bool { thread.isCurrent }

    init(logger: Logger) throws(CoAPError) {
        self.logger = logger
        let fd = scoap_eventfd()
        guard fd >= 0 else { throw CoAPError(.system, "eventfd failed: \(String(cString: strerror(errno)))", underlying: errno) }
        wakeFD = fd
    }

    deinit {
        // Reached only if the loop never ran (a running loop retains itself).
        if !started { close(wakeFD) }
    }

    /// The wake eventfd's data pointer in the epoll set: the loop's own address, which no event of
    /// libcoap's carries.
    private var wakeMarker: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Starts the thread, driving `driver` until ``shutdown()``.
    func start(name: String, driver: any CoAPLoopDriver) throws(CoAPError) {
        guard scoap_epoll_add_wake(driver.epollDescriptor, wakeFD, wakeMarker) == 0 else {
            throw CoAPError(.system, "epoll_ctl failed: \(String(cString: strerror(errno)))", underlying: errno)
        }
        self.driver = driver
        // Set first: a shutdown racing the start must wake the loop.
        lock.withLock { started = true }
        do throws(OwnedThread.StartFailure) {
            // The running thread retains the loop until it returns.
            try thread.start(name: name) { self.run() }
        } catch {
            lock.withLock { started = false }
            self.driver = nil
            throw CoAPError(.system, "could not start the CoAP loop thread: \(error)", underlying: error.code)
        }
    }

    /// Queues a job for the loop thread and wakes it; `false` (the job dropped) once the loop has
    /// stopped.
    @discardableResult
    func execute(_ job: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            if stopped { return false }
            jobs.append(job)
            if !wakePending {
                wakePending = true
                wakeUp()
            }
            return true
        }
    }

    /// Queues a job unless the loop is stopping; `false` means the job will never run.
    func executeIfRunning(_ job: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            if stopped || stopRequested { return false }
            jobs.append(job)
            if !wakePending {
                wakePending = true
                wakeUp()
            }
            return true
        }
    }

    /// Runs `body` on the loop thread and returns its result.
    func submit<T: Sendable>(_ body: @escaping @Sendable () throws(CoAPError) -> T) async throws(CoAPError) -> T {
        let result: Result<T, CoAPError> = await withCheckedContinuation { continuation in
            let accepted = executeIfRunning {
                if self.isTearingDown {
                    continuation.resume(returning: .failure(CoAPError(.shutdown, "the CoAP endpoint is shut down")))
                    return
                }
                do throws(CoAPError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !accepted { continuation.resume(returning: .failure(CoAPError(.shutdown, "the CoAP endpoint is shut down"))) }
        }
        return try result.get()
    }

    /// Called with `lock` held, so teardown cannot close `wakeFD` in between: a write to a closed
    /// and reused descriptor would land in someone else's file.
    private func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Asks the loop to stop and waits for it, unless called on the loop thread itself (then the
    /// thread stops after the current job). Idempotent; any number of callers may wait.
    func shutdown() {
        lock.withLock {
            stopRequested = true
            if started && !stopped { wakeUp() }
        }
        thread.join()
    }

    /// Schedules `action` on the loop after `seconds`. Loop thread only.
    func schedule(after seconds: Double, _ action: @escaping () -> Void) -> LoopTimer {
        timers.schedule(afterNanoseconds: UInt64(max(0, seconds) * 1e9), action)
    }

    private func run() {
        guard let driver else { return }
        let marker = wakeMarker
        let capacity = Int(scoap_max_events())
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: capacity)
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            pointers.deallocate()
            masks.deallocate()
        }
        // Whether the driver has prepared since the loop last did work of its own (handing
        // events to libcoap ends with a prepare).
        var prepared = false
        while true {
            let (batch, stop) = lock.withLock { () -> ([@Sendable () -> Void], Bool) in
                let batch = jobs
                jobs = spareJobs
                wakePending = false
                return (batch, stopRequested)
            }
            for job in batch { job() }
            spareJobs = lock.withLock { () -> [@Sendable () -> Void] in
                var b = batch
                b.removeAll(keepingCapacity: true)
                return b
            }
            if stop {
                drainJobs()
                break
            }

            let due = timers.popDue(now: monotonicNanoseconds())
            for timer in due { timer.fire() }
            if !prepared || !batch.isEmpty || !due.isEmpty {
                isPreparing = true
                driver.prepare()
                isPreparing = false
                prepared = true
            }

            // Jobs queued before this check make the wait return at once; one queued after it
            // writes the eventfd.
            let mustNotWait = lock.withLock { !jobs.isEmpty || stopRequested }
            let timeout: Int32 = mustNotWait ? 0 : (timers.millisecondsUntilNext(now: monotonicNanoseconds()) ?? -1)
            let count = Int(scoap_epoll_wait(driver.epollDescriptor, pointers, masks, Int32(capacity), timeout))
            guard count > 0 else { continue }
            if (0..<count).contains(where: { pointers[$0] == marker }) {
                prepared = false
                continue
            }
            driver.handle(pointers, masks, count: count)
        }
        tearDown(driver)
    }

    /// How long a stopping loop keeps running the jobs that jobs queue.
    static let drainNanoseconds: UInt64 = 200_000_000

    /// Runs queued jobs until none is left (jobs may queue more) or the drain time is over.
    private func drainJobs() {
        let deadline = monotonicNanoseconds() &+ Self.drainNanoseconds
        while monotonicNanoseconds() < deadline {
            let batch = lock.withLock { () -> [@Sendable () -> Void] in
                defer { jobs.removeAll(keepingCapacity: true) }
                return jobs
            }
            if batch.isEmpty { return }
            for job in batch { job() }
        }
    }

    private func tearDown(_ driver: any CoAPLoopDriver) {
        isTearingDown = true
        for timer in timers.removeAll() { timer.cancel() }
        driver.tearDown()
        let leftovers: [@Sendable () -> Void] = lock.withLock {
            stopped = true
            close(wakeFD)
            defer { jobs.removeAll() }
            return jobs
        }
        // Jobs queued after the last turn still run, so their continuations resume (they see
        // `isTearingDown` and fail fast).
        for job in leftovers { job() }
        self.driver = nil
    }
}

extension CoAPLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let task = asUnownedTaskExecutor()
        if !execute({ unowned.runSynchronously(on: task) }) {
            let global = globalConcurrentExecutor.asUnownedTaskExecutor()
            DispatchQueue.global().async { unowned.runSynchronously(on: global) }
        }
    }
}
