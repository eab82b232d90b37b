import CoAP
import Foundation
import LibCrypto
import Logging
import Platform
import Sealing
import SenML

/// Stage 5 of `POST /readings`: group commit. A worker of its own stores everything that arrived
/// while the previous commit ran in one transaction (one `fsync` under
/// ``ReadingsDurability/powerLoss``), so the CoAP loop never waits on the disk. Each message is
/// answered from the worker once its batch is done: 2.01 once committed, its refusal when its SenML is refused, 5.03
/// (with Max-Age) when the commit failed — then nothing of the batch is stored, and no sequence
/// number is used up.
///
/// The queue owns the readings store; for each batch it reads the SenML (``ReadingParser``),
/// writes the readings and their windows' copy, has the ``ReplayGuard`` settle the batch, tells
/// the observed-readings cache and the observers, then answers.
final class CommitQueue: Sendable {
    /// Most readings in one transaction: bounds a batch's latency and memory.
    static let maxBatch = 512
    /// Under load (the previous batch held more than one reading) the worker pauses this long
    /// before it takes the next batch, so the loop gets the CPU to read what is already on its
    /// way and the batch fills; a lone reading is committed at once (Benchmarks/RESULTS.md has
    /// the pauses measured).
    static let gatherMicroseconds: UInt32 = 200
    /// The Max-Age of a 5.03 for a reading the store could not commit: when to try again.
    static let retryAfterSeconds: UInt32 = 10

    /// How the last commit went, for `GET /health`.
    enum State: Sendable {
        case ok
        /// The last commit failed; `full` when its file system is full.
        case failing(full: Bool)
    }

    /// Readings stored since start, and the transactions that stored them (fewer when readings
    /// that arrived together were committed together).
    let stored = Locked(0)
    let commits = Locked(0)
    let state = Locked(State.ok)

    private struct Waiting {
        var reading: PreparedReading
        var reply: CoAPReply
    }

    private struct Queue {
        var waiting: [Waiting] = []
        var draining = false
        var closed = false
        /// Told the devices whose readings a commit stored (set at start: the server's observers).
        var notify: (@Sendable ([String]) -> Void)?
    }

    private let queue = Locked(Queue())
    private let worker = DispatchQueue(label: "securecoap.gateway.commit")
    private let storage: GatewayStorage
    private let replayGuard: ReplayGuard
    private let parser: ReadingParser
    private let observed: ObservedReadings
    private let directory: any GatewayDirectory
    private let logger: Logger

    init(
        storage: GatewayStorage, replayGuard: ReplayGuard, parser: ReadingParser, observed: ObservedReadings,
        directory: any GatewayDirectory, logger: Logger
    ) {
        self.storage = storage
        self.replayGuard = replayGuard
        self.parser = parser
        self.observed = observed
        self.directory = directory
        self.logger = logger
    }

    /// Starts taking readings; `notify` is told the devices each commit stored readings of.
    func start(notifying notify: @escaping @Sendable ([String]) -> Void) {
        queue.withLock { $0.notify = notify }
    }

    /// Commits `reading` with the next batch and answers it through `reply`.
    func submit(_ reading: PreparedReading, for request: CoAPRequest, reply: CoAPReply) {
        if let answer = replayGuard.claim(reading, request: request) { return reply.send(answer) }
        let (accepted, start) = queue.withLock { q -> (Bool, Bool) in
            guard !q.closed else { return (false, false) }
            q.waiting.append(Waiting(reading: reading, reply: reply))
            guard !q.draining else { return (true, false) }
            q.draining = true
            return (true, true)
        }
        if start { worker.async { self.drain() } }
        if !accepted {
            replayGuard.release([reading])
            reply.send(Self.shuttingDown)
        }
    }

    /// Takes no more readings and waits (at most `timeout` seconds) until everything queued is
    /// committed and answered. Returns whether it all was. When time runs out, what still waits
    /// is answered 5.03 and never stored (a reading is stored only if its sender can be told);
    /// the batch being committed then is still waited for, so the store can be closed after.
    @discardableResult
    func close(timeout: Double) -> Bool {
        queue.withLock { $0.closed = true }
        let deadline = Date().addingTimeInterval(timeout)
        while queue.withLock({ $0.draining || !$0.waiting.isEmpty }) {
            if Date() >= deadline {
                let abandoned = queue.withLock { q in
                    defer { q.waiting.removeAll() }
                    return q.waiting
                }
                replayGuard.release(abandoned.map(\.reading))
                CoAPReply.send(abandoned.map { (reply: $0.reply, response: Self.shuttingDown) })
                while queue.withLock({ $0.draining }) { usleep(1000) }
                return abandoned.isEmpty
            }
            usleep(1000)
        }
        return true
    }

    private static var shuttingDown: CoAPResponse {
        var response = CoAPResponse(text: "the gateway is shutting down; nothing was stored")
        response.code = .serviceUnavailable
        return response
    }

    /// Commits batches until nothing waits. Worker queue only.
    private func drain() {
        var previous = 0
        while true {
            if previous > 1, queue.withLock({ $0.waiting.count }) < Self.maxBatch { usleep(Self.gatherMicroseconds) }
            let (batch, notify) = queue.withLock { q -> ([Waiting], (@Sendable ([String]) -> Void)?) in
                guard !q.waiting.isEmpty else {
                    q.draining = false
                    return ([], nil)
                }
                let n = min(q.waiting.count, Self.maxBatch)
                defer { q.waiting.removeFirst(n) }
                return (Array(q.waiting.prefix(n)), q.notify)
            }
            guard !batch.isEmpty else { return }
            previous = batch.count
            let answers = commit(batch.map(\.reading), notify: notify)
            CoAPReply.send(zip(batch, answers).map { (reply: $0.reply, response: $1) })
        }
    }

    /// Reads each message's SenML (refusing those the parser refuses), stores the rest in one
    /// transaction, and returns each message's answer, in order.
    private func commit(_ batch: [PreparedReading], notify: (@Sendable ([String]) -> Void)?) -> [CoAPResponse] {
        let now = Date().timeIntervalSince1970
        var answers = Array(repeating: CoAPResponse.status(.created), count: batch.count)
        var kept: [PreparedReading] = [], keptIndices: [Int] = [], measured: [[SenMLMeasurement]] = []
        kept.reserveCapacity(batch.count)
        for (i, reading) in batch.enumerated() {
            do { measured.append(try parser.measurements(of: reading, now: now)) } catch {
                answers[i] = error.response
                replayGuard.release([reading])
                continue
            }
            kept.append(reading)
            keptIndices.append(i)
        }
        guard !kept.isEmpty else { return answers }
        let windows = replayGuard.windows(after: kept)
        var lastWindows: [[UInt8]: ReplayWindow] = [:]
        var rows: [ReadingsStore.NewReading] = []
        rows.reserveCapacity(kept.count)
        for (j, reading) in kept.enumerated() {
            var row = ReadingsStore.NewReading(device: reading.deviceID, time: now, measurements: measured[j])
            if let replay = windows[j] {
                row.replay = replay
                lastWindows[replay.kid] = replay.window
            }
            rows.append(row)
        }
        let ids: [Int64]
        do {
            ids = try storage.readings.append(rows)
            state.withLock { $0 = .ok }
        } catch {
            logger.error("readings not stored", metadata: ["count": "\(rows.count)", "error": "\(error)"])
            state.withLock { $0 = .failing(full: (error as? GatewayError)?.storageIsFull ?? false) }
            replayGuard.settle(kept, windows: lastWindows, committed: false, readingsCommits: 0)
            var response = CoAPResponse(text: "the readings store is unavailable; nothing was stored")
            response.code = .serviceUnavailable
            response.options.maxAge = Self.retryAfterSeconds
            for i in keptIndices { answers[i] = response }
            return answers
        }
        replayGuard.settle(kept, windows: lastWindows, committed: true, readingsCommits: storage.readings.commits)
        stored.withLock { $0 += kept.count }
        commits.withLock { $0 += 1 }
        var devices: [String] = []
        var seen: Set<String> = []
        let date = Date()
        for reading in kept where seen.insert(reading.deviceID).inserted {
            directory.recordSeen(reading.deviceID, at: date)
            devices.append(reading.deviceID)
        }
        observed.add(zip(ids, zip(rows, kept)).map { id, pair in
            ReadingsStore.Reading(id: id, device: pair.1.deviceID, time: pair.0.time, measurements: pair.0.measurements)
        })
        notify?(devices)
        return answers
    }
}
