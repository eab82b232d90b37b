internal import CLibCoAP
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Owns one libcoap context and the thread that runs it (DESIGN.md, "Threading model").
///
/// Other threads hand work to the loop through a locked job queue and wake it with an eventfd.
/// The loop waits in one `epoll_wait` on libcoap's epoll set, to which it adds its wake eventfd
/// (see `scoap_epoll_add_wake`), then drains the job queue, fires its own timers and calls
/// `coap_io_process(ctx, COAP_IO_NO_WAIT)`. libcoap arms its own timerfd in the epoll set, so its
/// retransmissions and DTLS timers wake the loop too.
///
/// The endpoint is also a `SerialExecutor`: an actor whose executor is the endpoint runs on the
/// loop thread and may touch libcoap state directly.
///
/// `@unchecked Sendable`: `lock` guards `jobs`, `wakePending` and `stopRequested`; every other
/// stored property is read and written only on the loop thread (or before it starts).
final class LibCoAPEndpoint: @unchecked Sendable {
    let logger: Logger
    /// The libcoap context. Loop thread only.
    let context: OpaquePointer

    private let lock = PThreadMutex()
    private var jobs: [@Sendable () -> Void] = []
    private var spareJobs: [@Sendable () -> Void] = []
    private var wakePending = false
    private var stopRequested = false
    private var stopped = false
    private let wakeFD: Int32
    private var thread: pthread_t?

    // Loop-thread state.
    var timers = LoopTimers()
    var exchanges: [ExchangeKey: ClientExchange] = [:]
    var clientSessions: [String: OpaquePointer] = [:]
    var dtlsSessions: [OpaquePointer: DTLSSessionState] = [:]
    /// Set by callbacks when `coap_io_process` handled a message: more may be waiting, so the
    /// loop looks for more (`scoap_io_drain_ready`) before it waits.
    var ioActivity = false
    var server: ServerBinding?
    var detachedResponseRecords: [ObjectIdentifier: DetachedResponse] = [:]
    /// Requests a deferrable handler will answer later, by `CoAPDeferredResponse.id`.
    var deferredResponses: [UInt64: DetachedResponse] = [:]
    var nextDeferredID: UInt64 = 0
    private(set) var isTearingDown = false

    /// Creates the context. The loop does not run until `start()`.
    init(logger: Logger) throws(CoAPError) {
        LibCoAPRuntime.ensureStarted(logger: logger)
        self.logger = logger
        guard let ctx = coap_new_context(nil) else {
            throw CoAPError(.libcoap, "libcoap could not create a context")
        }
        let fd = scoap_eventfd()
        guard fd >= 0 else {
            coap_free_context(ctx)
            throw CoAPError(.system, "eventfd failed: \(String(cString: strerror(errno)))", underlying: errno)
        }
        guard scoap_epoll_add_wake(coap_context_get_coap_fd(ctx), fd) == 0 else {
            let code = errno
            close(fd)
            coap_free_context(ctx)
            throw CoAPError(.system, "epoll_ctl failed: \(String(cString: strerror(code)))", underlying: code)
        }
        self.context = ctx
        self.wakeFD = fd
        // Let libcoap reassemble block-wise bodies (RFC 7959) in both directions.
        coap_context_set_block_mode(ctx, UInt8(COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY))
        coap_context_set_max_idle_sessions(ctx, 100_000)
        coap_set_app_data(ctx, Unmanaged.passUnretained(self).toOpaque())
        coap_register_response_handler(ctx, libcoapResponseHandler)
        coap_register_nack_handler(ctx, libcoapNackHandler)
        coap_register_event_handler(ctx, libcoapEventHandler)
    }

    deinit {
        // Reached only if `start()` was never called (a running loop retains the endpoint).
        if thread == nil {
            coap_free_context(context)
            close(wakeFD)
        }
    }

    /// Recovers the endpoint from a context's app-data slot (inside libcoap callbacks).
    static func from(context: OpaquePointer?) -> LibCoAPEndpoint? {
        guard let context, let raw = coap_get_app_data(context) else { return nil }
        return Unmanaged<LibCoAPEndpoint>.fromOpaque(raw).takeUnretainedValue()
    }

    static func from(session: OpaquePointer?) -> LibCoAPEndpoint? {
        guard let session else { return nil }
        return from(context: coap_session_get_context(session))
    }

    // MARK: - Thread

    /// Starts the loop thread.
    func start(name: String) throws(CoAPError) {
        var tid = pthread_t()
        let box = Unmanaged.passRetained(self)
        let rc: Int32 = lock.withLock {
            let rc = pthread_create(&tid, nil, { raw in
                let endpoint = Unmanaged<LibCoAPEndpoint>.fromOpaque(raw!).takeRetainedValue()
                endpoint.lock.withLock {}  // `thread` is published before the loop runs
                endpoint.runLoop()
                return nil
            }, box.toOpaque())
            if rc == 0 { thread = tid }
            return rc
        }
        guard rc == 0 else {
            box.release()
            throw CoAPError(.system, "could not start the CoAP loop thread", underlying: rc)
        }
    }

    /// `true` on the loop thread.
    var isOnLoop: Bool {
        guard let thread else { return false }
        return pthread_equal(pthread_self(), thread) != 0
    }

    /// Queues a job for the loop thread and wakes it.
    func execute(_ job: @escaping @Sendable () -> Void) {
        lock.withLock {
            if stopped { return }
            jobs.append(job)
            if wakePending { return }
            wakePending = true
            wakeUp()
        }
    }

    /// Queues a job unless the endpoint is stopping; `false` means the job will never run.
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
            let accepted: Bool = lock.withLock {
                !stopped && !stopRequested
            }
            guard accepted else {
                continuation.resume(returning: .failure(CoAPError(.shutdown, "the CoAP endpoint is shut down")))
                return
            }
            execute {
                if self.isTearingDown {
                    continuation.resume(returning: .failure(CoAPError(.shutdown, "the CoAP endpoint is shut down")))
                    return
                }
                do throws(CoAPError) { continuation.resume(returning: .success(try body())) } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Called with `lock` held, so teardown cannot close `wakeFD` in between: a write to a closed
    /// and reused descriptor would land in someone else's socket.
    private func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Asks the loop to stop and waits for it, unless called on the loop thread itself (then the
    /// thread stops after the current job and detaches).
    func shutdown() {
        let (alreadyRequested, onLoop) = lock.withLock { () -> (Bool, Bool) in
            let was = stopRequested
            stopRequested = true
            if thread != nil && !stopped { wakeUp() }
            return (was, thread.map { pthread_equal(pthread_self(), $0) != 0 } ?? false)
        }
        guard let thread else { return }
        if onLoop {
            if !alreadyRequested { pthread_detach(thread) }
            return
        }
        if !alreadyRequested {
            pthread_join(thread, nil)
        } else {
            // Another caller joins; wait until the loop has finished.
            while !lock.withLock({ stopped }) { usleep(1000) }
        }
    }

    /// Schedules `action` on the loop after `seconds`. Loop thread only.
    func schedule(after seconds: Double, _ action: @escaping () -> Void) -> LoopTimer {
        timers.schedule(afterNanoseconds: UInt64(max(0, seconds) * 1e9), action)
    }

    /// epoll batches (of up to 16 events) `scoap_io_drain_ready` may handle per loop turn.
    static let drainRounds: Int32 = 4

    private func runLoop() {
        let coapFD = coap_context_get_coap_fd(context)
        let noWait = scoap_io_no_wait()
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
            if stop { break }

            let now = monotonicNanoseconds()
            for timer in timers.popDue(now: now) { timer.action() }

            ioActivity = false
            coap_io_process(context, noWait)
            // After a request, more datagrams may be queued: handle what is ready before going
            // round (jobs, timers, then coap_io_process). Bounded, so jobs and timers wait at most
            // 64 datagrams. Each batch still re-arms libcoap's timerfd (see shim.h); a loop that
            // drained without coap_io_do_epoll's re-arm and prepared once per turn measured no
            // faster side by side. When nothing more is ready, wait at once: going round to
            // another coap_io_process would find nothing and cost an epoll_wait and a
            // timerfd_settime per request. A wake-up among what is ready ends the drain (-1)
            // before libcoap sees that batch: jobs queued before those datagrams came run first
            // (test: workQueuedBeforeADatagramArrivesRunsFirst; handing them over declined an
            // Observe registration for a path a queued job was about to make).
            if ioActivity, scoap_io_drain_ready(context, Self.drainRounds) != 0 { continue }

            // One wait for datagrams, libcoap's timers, jobs and a stop: the wake eventfd is in
            // libcoap's epoll set (see scoap_epoll_add_wake). Its edge may have been used up by
            // coap_io_process's own epoll_wait, so every reason to wake is checked here, under
            // the lock; one that comes after this check wakes the wait.
            let mustNotWait = lock.withLock { !jobs.isEmpty || stopRequested }
            let timeout: Int32 = mustNotWait ? 0 : (timers.millisecondsUntilNext(now: monotonicNanoseconds()) ?? -1)
            _ = scoap_epoll_wait_ready(coapFD, timeout)
        }
        tearDown()
    }

    /// Fails what is pending, releases sessions and frees the context. Loop thread.
    private func tearDown() {
        isTearingDown = true
        let shutdownError = CoAPError(.shutdown, "the CoAP endpoint was shut down before the exchange completed")
        for exchange in exchanges.values {
            exchange.timer?.cancel()
            exchange.fail(shutdownError)
        }
        exchanges.removeAll()
        _ = timers.removeAll()
        for d in detachedResponseRecords.values { d.release() }
        detachedResponseRecords.removeAll()
        for d in deferredResponses.values { d.release() }
        deferredResponses.removeAll()
        server?.tearDown()
        // Detach bookkeeping before releasing: releasing fires events back into us.
        let sessions = clientSessions.values
        clientSessions.removeAll()
        for s in sessions { coap_session_release(s) }
        coap_set_app_data(context, nil)
        coap_free_context(context)
        // Session set-up memory (keys, PEM) is freed only now that libcoap is done with it.
        for state in dtlsSessions.values { state.timer?.cancel() }
        dtlsSessions.removeAll()
        let leftovers: [@Sendable () -> Void] = lock.withLock {
            stopped = true
            close(wakeFD)
            defer { jobs.removeAll() }
            return jobs
        }
        // Jobs queued after the last drain still run, so their continuations resume (with
        // `isTearingDown` set, they fail fast).
        for job in leftovers { job() }
        server = nil
    }
}

extension LibCoAPEndpoint: SerialExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        execute { unowned.runSynchronously(on: executor) }
    }

    func checkIsolated() {
        precondition(isOnLoop, "expected to run on the CoAP loop thread")
    }

    func isIsolatingCurrentContext() -> Bool? { isOnLoop }
}
