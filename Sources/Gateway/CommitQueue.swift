import CoAP
import Foundation
import LibCrypto
import Platform

/// Group commit: readings are stored by a worker of their own, everything that arrived while the
/// previous commit ran in one transaction (and one `fsync` under ``ReadingsDurability/powerLoss``),
/// so the CoAP loop never waits on the disk (DESIGN.md, threading model). Each reading is answered
/// when its batch is committed, on the
/// request's held-back ACK (see ``CoAPDeferredResponse``) — no task or continuation per reading.
final class CommitQueue: Sendable {
    /// Most readings in one transaction: bounds a batch's latency and memory.
    static let maxBatch = 512
    /// Under load (the previous batch held more than one reading) the worker pauses this long
    /// before it takes the next batch: the loop thread gets the CPU to read what is already on its
    /// way, and the batch fills. A lone reading is committed at once. Measured with `ingest-bench`
    /// (16 devices, 64 readings in flight, 2 CPUs) when a commit cost ~20 µs of worker CPU per
    /// reading: no pause → ~7 readings per commit, ~11k readings/s; 100–300 µs → ~30 per commit,
    /// 16–18k/s; 1 ms → 38 per commit, 12k/s. With cheaper commits (~16 µs, direct SQLite binds,
    /// checkpoints off the worker) the pause matters less: 0, 50, 100, 200 and 300 µs gave 33–37k/s,
    /// 200–300 µs at the top, within the VM's noise. Under load `usleep(200)` takes ~340 µs here.
    static let gatherMicroseconds: UInt32 = 200

    private struct State {
        var waiting: [(reading: PreparedReading, answer: CoAPDeferredResponse)] = []
        var draining = false
        var closed = false
    }

    private let state = Locked(State())
    private let worker = DispatchQueue(label: "securecoap.gateway.commit")
    private let commit: @Sendable ([PreparedReading]) -> [CoAPResponse]

    /// `commit` stores a batch and returns one answer per reading, in order.
    init(commit: @escaping @Sendable ([PreparedReading]) -> [CoAPResponse]) {
        self.commit = commit
    }

    /// Queues `reading` for the next commit; `answer` gets its response once committed. Returns
    /// false, queueing nothing, once the queue is closed.
    func submit(_ reading: PreparedReading, answer: CoAPDeferredResponse) -> Bool {
        let (accepted, start) = state.withLock { s -> (Bool, Bool) in
            guard !s.closed else { return (false, false) }
            s.waiting.append((reading, answer))
            guard !s.draining else { return (true, false) }
            s.draining = true
            return (true, true)
        }
        if start { worker.async { self.drain() } }
        return accepted
    }

    /// Takes no more readings and waits (at most `timeout` seconds) until everything queued is
    /// committed and its answer handed to the server. Returns whether it all was.
    @discardableResult
    func close(timeout: Double) -> Bool {
        state.withLock { $0.closed = true }
        let deadline = Date().addingTimeInterval(timeout)
        while state.withLock({ $0.draining || !$0.waiting.isEmpty }) {
            if Date() >= deadline { return false }
            usleep(1000)
        }
        return true
    }

    /// Commits batches until nothing waits. Worker queue only.
    private func drain() {
        var previous = 0
        while true {
            if previous > 1, state.withLock({ $0.waiting.count }) < Self.maxBatch { usleep(Self.gatherMicroseconds) }
            let batch = state.withLock { s -> [(reading: PreparedReading, answer: CoAPDeferredResponse)] in
                guard !s.waiting.isEmpty else {
                    s.draining = false
                    return []
                }
                let n = min(s.waiting.count, Self.maxBatch)
                defer { s.waiting.removeFirst(n) }
                return Array(s.waiting.prefix(n))
            }
            guard !batch.isEmpty else { return }
            previous = batch.count
            let answers = commit(batch.map(\.reading))
            CoAPDeferredResponse.sendAll(Array(zip(batch.map(\.answer), answers)))
        }
    }
}
