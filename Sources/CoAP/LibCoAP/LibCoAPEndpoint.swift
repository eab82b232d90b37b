internal import CLibCoAP
import Logging
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// Owns one libcoap context and the thread that runs it (docs/architecture.md, "Threads").
///
/// Other threads hand work to the loop through a locked job queue and wake it with an eventfd
/// that sits in libcoap's epoll set. The loop runs its jobs and timers, lets libcoap prepare
/// (`coap_io_prepare_epoll`: notifications, retransmissions, its timerfd), then waits in one
/// `epoll_wait` of its own on that set and hands what is ready to `coap_io_do_epoll` — after the
/// DTLS front door (``DTLSAdmission``) has looked at the DTLS socket. `coap_io_process` is not
/// used: it would read the DTLS socket before the front door could.
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
        self.context = ctx
        self.wakeFD = fd
        guard scoap_epoll_add_wake(coap_context_get_coap_fd(ctx), fd, wakeMarker) == 0 else {
            let code = errno
            close(fd)
            coap_free_context(ctx)
            throw CoAPError(.system, "epoll_ctl failed: \(String(cString: strerror(code)))", underlying: code)
        }
        // Let libcoap reassemble block-wise bodies (RFC 7959) in both directions.
        coap_context_set_block_mode(ctx, UInt8(COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY))
        coap_context_set_max_idle_sessions(ctx, 100_000)
        coap_set_app_data(ctx, Unmanaged.passUnretained(self).toOpaque())
        coap_register_response_handler(ctx, libcoapResponseHandler)
        coap_register_nack_handler(ctx, libcoapNackHandler)
        coap_register_event_handler(ctx, libcoapEventHandler)
    }

    /// The wake eventfd's data pointer in the epoll set: the endpoint's own address, which no
    /// event of libcoap's carries.
    private var wakeMarker: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

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

    private func runLoop() {
        let epfd = coap_context_get_coap_fd(context)
        let marker = wakeMarker
        let capacity = Int(scoap_max_events())
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: capacity)
        let masks = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        defer {
            pointers.deallocate()
            masks.deallocate()
        }
        // Whether libcoap has prepared (sent due notifications, re-armed its timerfd) since the
        // loop last did work of its own; `coap_io_do_epoll` ends by preparing.
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
            if stop { break }

            let due = timers.popDue(now: monotonicNanoseconds())
            for timer in due { timer.action() }
            if !prepared || !batch.isEmpty || !due.isEmpty {
                var now: coap_tick_t = 0
                coap_ticks(&now)
                _ = coap_io_prepare_epoll(context, now)
                prepared = true
            }

            // One wait for datagrams, libcoap's timerfd, jobs and a stop. Jobs queued before this
            // check wake the wait at once; one queued after it writes the eventfd.
            let mustNotWait = lock.withLock { !jobs.isEmpty || stopRequested }
            let timeout: Int32 = mustNotWait ? 0 : (timers.millisecondsUntilNext(now: monotonicNanoseconds()) ?? -1)
            var count = Int(scoap_epoll_wait(epfd, pointers, masks, Int32(capacity), timeout))
            guard count > 0 else { continue }
            // A wake-up among the events: the jobs that came before these datagrams run first.
            // Nothing of this batch goes to libcoap (a job may free a session an event points
            // to); its sockets are level-triggered, so the next wait reports them again.
            if (0..<count).contains(where: { pointers[$0] == marker }) {
                prepared = false
                continue
            }
            if let admission = server?.admission {
                count = screen(pointers, masks, count: count, with: admission)
            }
            if count > 0 {
                scoap_io_do_epoll(context, pointers, masks, Int32(count))
            }
            server?.admission?.admitting = nil
        }
        tearDown()
    }

    /// Lets the front door look at the DTLS socket when it is among the ready events, and removes
    /// its event when nothing at the head of its queue is for libcoap. Returns the events left.
    private func screen(
        _ pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ masks: UnsafeMutablePointer<UInt32>, count: Int,
        with admission: DTLSAdmission
    ) -> Int {
        for i in 0..<count {
            guard let socket = pointers[i], scoap_socket_fd(socket) == admission.socket else { continue }
            if admission.look(now: monotonicNanoseconds()) { return count }
            pointers[i] = pointers[count - 1]
            masks[i] = masks[count - 1]
            return count - 1
        }
        return count
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
