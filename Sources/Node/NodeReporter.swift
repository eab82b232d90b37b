import CoAP
public import Foundation
public import Logging
public import SenML
internal import Sealing

/// The node agent: takes readings, keeps them (encrypted) until the gateway has them, and
/// delivers them sealed, in order, several to a message when they have piled up.
///
/// ```swift
/// let reporter = try NodeReporter(configuration: .init(
///     gateway: try CoAPURI("coaps://gateway.local"), deviceID: "node-7",
///     dtls: try .psk(identity: "node-7", key: PSKKey(hex: pskHex)),
///     sealing: .init(secret: try DeviceSecret(contentsOfFile: "node-7.secret"), kid: [0x01]),
///     queueDirectory: "/var/lib/coap-node"))
/// try await reporter.report([SenMLRecord(name: "temp", unit: "Cel", value: 21.5)])
/// ```
///
/// - A reading is written (encrypted under a key derived from the device secret, see
///   ``QueueStorageKey``) to the queue before `report` tries to send it, and leaves the queue
///   only when the gateway answers 2.xx. Nothing in the data directory reveals a reading's name,
///   value or unit.
/// - Each message is sealed when it is sent, with the current kid and a fresh sequence number
///   (persisted before use, so never repeated across restarts); a rotated kid applies to
///   readings queued before the rotation too.
/// - While the gateway is unreachable or refusing (timeouts, 5.xx, 4.01, 4.03, 4.29...), attempts
///   back off exponentially with jitter (``RetryPolicy``); `report` then only queues. ``flush(timeout:)``
///   or ``run()`` keep trying. A message the gateway refuses for its content (4.00, 4.02, 4.13,
///   4.15, 4.22) is split until the offending reading is alone, and that one is removed and counted
///   (``QueueCounters/rejected``) so it cannot block the rest.
///
/// The reporter runs on its own serial queue (``unownedExecutor``): its fsyncs never block
/// Swift's cooperative thread pool. `init` reads the data directory on the caller's thread, once.
public actor NodeReporter {
    /// The settings the reporter was made with.
    public nonisolated let configuration: Configuration
    private nonisolated let executor: NodeExecutor

    /// The reporter's own serial queue.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let logger: Logger
    private let queue: OfflineQueue
    private let sealer: ReadingSealer?
    /// Exclusive locks on the state and queue directories, released by `shutdown`.
    private let locks: [DirectoryLock]
    private let uri: CoAPURI
    private var client: CoAPClient?
    /// Requests sent on `client` (its session's token counter, for the wire accounting).
    private var requestsOnClient = 0
    private var delivered = 0
    private var failures = 0
    private var nextAttempt: ContinuousClock.Instant?
    private var lastDeliveryError: String?
    /// Readings per message right now: lowered to isolate a reading the gateway refuses.
    private var batchLimit: Int
    /// Single readings refused for their content in a row, with no success between: past
    /// ``maxConsecutiveRejections`` the gateway, not the readings, is taken to be at fault.
    private var consecutiveRejections = 0
    /// More single-reading refusals than this in a row stop the node from discarding readings.
    static let maxConsecutiveRejections = 3
    /// The backoff wait of `flush`, so that `shutdown` can cut it short.
    private var backoffSleep: Task<Void, Never>?
    private var delivering = false
    private var isShutDown = false
    private let workSignal: AsyncStream<Void>
    private let workContinuation: AsyncStream<Void>.Continuation

    /// Opens the node's state and queue (recovering readings a previous run left) and prepares
    /// sealing. Throws ``NodeError`` for a configuration that cannot work or a data directory that
    /// cannot be used.
    public init(configuration: Configuration, logger: Logger = Logger(label: "coap.node")) throws {
        try self.init(configuration: configuration, logger: logger, storage: nil)
    }

    /// The designated initializer; `storage` replaces the directory storage (tests inject failures).
    init(configuration: Configuration, logger: Logger, storage: (any QueueStorage)?) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        executor = NodeExecutor(label: "coap-node.reporter")
        uri = configuration.readingsURI
        batchLimit = configuration.maxReadingsPerMessage
        let directories = Set([configuration.stateDirectory, configuration.queueDirectory].compactMap { $0 })
        locks = try directories.sorted().map { try DirectoryLock(directory: $0) }
        let storageSecret = configuration.storageSecret ?? configuration.sealing?.secret
        let queueStorage: (any QueueStorage)?
        if let storage {
            queueStorage = storage
        } else if let directory = configuration.queueDirectory {
            queueStorage = try DirectoryQueueStorage(directory: directory + "/queue")
        } else {
            queueStorage = nil
        }
        let key = try storageSecret.map { try QueueStorageKey(secret: $0, deviceID: configuration.deviceID) }
        queue = try OfflineQueue(
            storage: queueStorage, key: key, capacity: configuration.queueCapacity, overflow: configuration.overflowPolicy)
        if let sealing = configuration.sealing, let directory = configuration.stateDirectory ?? configuration.queueDirectory {
            sealer = try ReadingSealer(
                secret: sealing.secret, deviceID: configuration.deviceID, kid: sealing.kid, algorithm: sealing.algorithm,
                stateDirectory: directory, reservationSize: configuration.sequenceReservation)
        } else {
            sealer = nil
        }
        (workSignal, workContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (recovered, corrupt) = (queue.count, queue.counters.corrupt)
        if recovered > 0 || corrupt > 0 {
            logger.info("recovered the offline queue", metadata: ["node.queued": "\(recovered)", "node.corrupt": "\(corrupt)"])
        }
    }

    // MARK: Reporting

    /// Takes one reading: its records (SenML; base fields allowed, a base name only if it is
    /// `<device>/`; times relative to `takenAt`), queued durably, then delivered at once with
    /// whatever else waits — unless the reporter is backing off after a failure, or another
    /// delivery is under way, in which case the reading just waits its turn.
    ///
    /// - Returns: what was delivered during the call and what still waits.
    /// - Throws: ``NodeError/Code/invalidReading`` (nothing is queued), ``NodeError/Code/queueFull``
    ///   (policy `refuseNew`), ``NodeError/Code/shutDown``. A disk failure does not throw: the reading is held in memory
    ///   (``DeliveryReport/keptInMemoryOnly``) and ``NodeStatus/storageError`` says why.
    @discardableResult
    public func report(_ records: [SenMLRecord], takenAt: Date = Date()) async throws -> DeliveryReport {
        guard !isShutDown else { throw NodeError(.shutDown, "the reporter is shut down; its data directory is released") }
        let reading = try QueuedReading(records: records, takenAt: takenAt.timeIntervalSince1970, deviceID: configuration.deviceID)
        let outcome = try queue.append(reading)
        if outcome == .keptInMemory, let error = queue.storageError {
            logger.error("cannot write the queue; the reading is held in memory only", metadata: ["node.error": "\(error)"])
        }
        workContinuation.yield()
        var report = DeliveryReport(queued: queue.count, keptInMemoryOnly: outcome == .keptInMemory)
        if !isShutDown && !delivering && !isBackingOff {
            delivering = true
            defer { releaseDelivery() }
            report = await deliverPass(deadline: nil)
            report.keptInMemoryOnly = outcome == .keptInMemory
        } else if isBackingOff {
            report.error = lastDeliveryError
        }
        return report
    }

    /// Keeps delivering, backing off between failures, until the queue is empty, `timeout` has
    /// passed (`nil`: no limit), the task is cancelled or the reporter is shut down.
    public func flush(timeout: Duration? = nil) async -> DeliveryReport {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard await acquireDelivery(until: deadline) else {
            return DeliveryReport(queued: queue.count, error: queue.isEmpty ? nil : lastDeliveryError)
        }
        defer { releaseDelivery() }
        var total = DeliveryReport(queued: queue.count)
        while !queue.isEmpty && !isShutDown && !Task.isCancelled {
            if let next = nextAttempt, next > .now {
                if let deadline, next > deadline { break }
                let sleeper = Task { _ = try? await Task.sleep(until: next, clock: .continuous) }
                backoffSleep = sleeper
                await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
                backoffSleep = nil
                continue
            }
            if let deadline, ContinuousClock.now >= deadline { break }
            let pass = await deliverPass(deadline: deadline)
            total.delivered += pass.delivered
            total.messages += pass.messages
        }
        total.queued = queue.count
        total.error = queue.isEmpty ? nil : lastDeliveryError
        return total
    }

    /// Delivers in the background for a long-running node: whenever readings wait, like
    /// ``flush(timeout:)``; otherwise sleeps until ``report(_:takenAt:)`` queues one. Returns when
    /// the task is cancelled or the reporter is shut down. Call it once.
    public func run() async {
        var signals = workSignal.makeAsyncIterator()
        while !Task.isCancelled && !isShutDown {
            if !queue.isEmpty {
                _ = await flush(timeout: nil)
                continue
            }
            guard await signals.next() != nil else { return }
        }
    }

    /// Seals from now on with `kid` (derived from the same device secret, with its own sequence
    /// file). Readings already queued are sealed with it too when they are sent.
    public func rotate(to kid: [UInt8]) throws {
        guard !isShutDown else { throw NodeError(.shutDown, "the reporter is shut down; its data directory is released") }
        guard let sealer else { throw NodeError(.invalidConfiguration, "sealing is off: there is no kid to rotate") }
        guard (1...64).contains(kid.count) else { throw NodeError(.invalidConfiguration, "a kid has 1 to 64 bytes") }
        try sealer.rotate(to: kid)
        logger.info("sealing with a new kid", metadata: ["node.kid": "\(kid.map { String(format: "%02x", $0) }.joined())"])
    }

    /// The reporter's state now.
    public var status: NodeStatus {
        NodeStatus(
            queued: queue.count, queuedInMemoryOnly: queue.memoryOnlyCount, delivered: delivered, counters: queue.counters,
            lastDeliveryError: lastDeliveryError, storageError: queue.storageError?.message, kid: sealer?.kid,
            consecutiveFailures: failures)
    }

    /// Stops delivering, closes the network client and releases the data directories. Queued
    /// readings stay on disk (if the queue is there) for the next run; ``run()`` returns.
    public func shutdown() {
        isShutDown = true
        backoffSleep?.cancel()
        client?.shutdown()
        client = nil
        workContinuation.finish()
        for lock in locks { lock.release() }
    }

    // MARK: Delivery

    private var isBackingOff: Bool {
        guard let nextAttempt else { return false }
        return nextAttempt > .now
    }

    /// Takes the delivery turn (one sender at a time, so no reading goes out twice), waiting while
    /// another caller has it; `false` when `deadline` passes first, or on shutdown or cancellation.
    private func acquireDelivery(until deadline: ContinuousClock.Instant?) async -> Bool {
        while delivering {
            if isShutDown || Task.isCancelled { return false }
            if let deadline, ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(50))
        }
        delivering = true
        return true
    }

    private func releaseDelivery() {
        delivering = false
    }

    /// Sends messages from the head of the queue until it is empty or an attempt fails (which
    /// schedules the next attempt). The caller holds the delivery turn.
    private func deliverPass(deadline: ContinuousClock.Instant?) async -> DeliveryReport {
        var report = DeliveryReport()
        while !queue.isEmpty && !isShutDown && !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let (entries, pack, senml) = nextBatch(now: now)
            let readings = entries.map(\.reading)
            let request: CoAPRequest
            do {
                request = try makeRequest(senml: senml)
            } catch {
                recordFailure("\(error)")
                report.error = "\(error)"
                break
            }
            var timeout = configuration.requestTimeout
            if let deadline {
                timeout = min(timeout, max(.seconds(1), deadline - .now))
            }
            let accounting = WireAccounting(
                request: request, senmlBytes: senml.count, readings: readings.count, records: pack.records.count,
                tokenLength: WireAccounting.libcoapTokenLength(requestNumber: (client == nil ? 0 : requestsOnClient) + 1),
                secure: uri.isSecure)
            switch await send(request, timeout: timeout) {
            case .acknowledged(let code):
                queue.removeDelivered(through: entries[entries.count - 1].serial)
                delivered += readings.count
                report.delivered += readings.count
                report.messages.append(accounting)
                if failures > 0 { logger.info("the gateway is reachable again", metadata: ["node.queued": "\(queue.count)"]) }
                failures = 0
                consecutiveRejections = 0
                nextAttempt = nil
                lastDeliveryError = nil
                batchLimit = min(configuration.maxReadingsPerMessage, batchLimit * 2)
                logger.debug("delivered", metadata: ["node.code": "\(code.dotted)", "node.wire": "\(accounting)"])
            case .contentRefused(let code, let diagnostic):
                if readings.count > 1 {
                    batchLimit = max(1, readings.count / 2)
                    continue
                }
                guard consecutiveRejections < Self.maxConsecutiveRejections else {
                    let reason = "the gateway refuses every reading (\(code)\(diagnostic)); keeping them and backing off"
                    recordFailure(reason)
                    report.error = reason
                    report.queued = queue.count
                    return report
                }
                consecutiveRejections += 1
                queue.reject(serial: entries[0].serial)
                let reason = "the gateway refused a reading with \(code)\(diagnostic)"
                logger.error("\(reason); it was removed from the queue", metadata: ["node.rejected": "\(queue.counters.rejected)"])
                lastDeliveryError = reason
                report.error = reason
            case .failed(let reason, let retryAfter):
                recordFailure(reason, retryAfter: retryAfter)
                report.error = reason
                report.queued = queue.count
                return report
            case .stopped:
                report.queued = queue.count
                return report
            }
        }
        report.queued = queue.count
        return report
    }

    /// The queue entries of the next message, its pack and its SenML bytes: as many as the batch
    /// limits allow, the first one always.
    private func nextBatch(now: Double) -> ([OfflineQueue.Entry], WirePack, [UInt8]) {
        var entries = Array(queue.peek(min(batchLimit, configuration.maxReadingsPerMessage)))
        while true {
            let pack = WirePack(
                readings: entries.map(\.reading), now: now, deviceID: configuration.deviceID,
                includeBaseName: configuration.includeBaseName)
            let bytes = pack.encoded(as: configuration.format)
            if bytes.count <= configuration.maxPayloadBytes || entries.count == 1 {
                return (entries, pack, bytes)
            }
            let estimate = entries.count * configuration.maxPayloadBytes / bytes.count
            entries.removeLast(entries.count - max(1, min(entries.count - 1, estimate)))
        }
    }

    private func makeRequest(senml: [UInt8]) throws -> CoAPRequest {
        if let sealer {
            let sealed = try sealer.seal(senml, contentFormat: configuration.format.rawValue)
            return CoAPRequest(method: .post, uri: uri, type: configuration.messageType, payload: sealed, contentFormat: .coseEncrypt0)
        }
        return CoAPRequest(method: .post, uri: uri, type: configuration.messageType, payload: senml, contentFormat: configuration.format)
    }

    private enum SendOutcome {
        case acknowledged(CoAPResponseCode)
        case contentRefused(CoAPResponseCode, String)
        case failed(String, retryAfter: Duration?)
        case stopped
    }

    private func send(_ request: CoAPRequest, timeout: Duration) async -> SendOutcome {
        let client: CoAPClient
        do {
            client = try currentClient()
        } catch {
            return .failed("cannot start the CoAP client: \(error)", retryAfter: nil)
        }
        let response: CoAPResponse
        requestsOnClient += 1
        do {
            response = try await client.send(request, to: uri, timeout: timeout)
        } catch is CancellationError {
            return .stopped
        } catch let error as CoAPError {
            if isShutDown || Task.isCancelled { return .stopped }
            // Start with fresh sessions next time: a gateway that restarted does not know the
            // old DTLS session, and the client would keep sending into it.
            dropClient(client)
            return .failed("\(error.code): \(error.message)", retryAfter: nil)
        } catch {
            dropClient(client)
            return .failed("\(error)", retryAfter: nil)
        }
        let code = response.code
        if code.isSuccess { return .acknowledged(code) }
        let diagnostic = Self.diagnostic(response)
        switch code {
        case .badRequest, .badOption, .requestEntityTooLarge, .unsupportedContentFormat, .unprocessableEntity:
            return .contentRefused(code, diagnostic)
        case .tooManyRequests:
            let maxAge = response.options.maxAge.map { Duration.seconds(Int64($0)) }
            return .failed("the gateway answered \(code)\(diagnostic)", retryAfter: maxAge)
        default:
            return .failed("the gateway answered \(code)\(diagnostic)", retryAfter: nil)
        }
    }

    /// The gateway's diagnostic text, when it sent a short printable one.
    private static func diagnostic(_ response: CoAPResponse) -> String {
        let text = response.text
        guard !text.isEmpty, text.utf8.count <= 120, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            return ""
        }
        return " (\(text))"
    }

    private func recordFailure(_ reason: String, retryAfter: Duration? = nil) {
        failures += 1
        var delay = configuration.retry.delay(afterFailures: failures)
        if let retryAfter, retryAfter > delay { delay = retryAfter }
        nextAttempt = .now + delay
        if failures == 1 || reason != lastDeliveryError {
            logger.warning(
                "delivery failed; readings stay queued",
                metadata: ["node.error": "\(reason)", "node.queued": "\(queue.count)", "node.retryIn": "\(delay)"])
        }
        lastDeliveryError = reason
    }

    private func currentClient() throws -> CoAPClient {
        if let client { return client }
        let created = try CoAPClient(
            configuration: .init(
                requestTimeout: configuration.requestTimeout, maxInFlightPerPeer: 1, ackTimeout: configuration.ackTimeout,
                dtls: configuration.dtls),
            logger: logger)
        client = created
        requestsOnClient = 0
        return created
    }

    private func dropClient(_ failed: CoAPClient) {
        guard let client, client === failed else { return }
        client.shutdown()
        self.client = nil
    }
}
