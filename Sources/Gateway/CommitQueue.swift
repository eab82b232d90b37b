import CoAP
import Foundation
import LibCrypto

/// Group commit for readings that arrive while the gateway is busy: everything submitted while a
/// commit runs is stored by the next one, in one transaction and one `fsync`, on a queue of its
/// own (the CoAP loop goes on reading datagrams meanwhile). Each reading's separate response is
/// sent when its batch is durable — no task or continuation per reading.
final class CommitQueue: Sendable {
    /// Most readings in one transaction: bounds a batch's latency and memory.
    static let maxBatch = 512
    /// How long a batch gathers readings before it commits. Only readings that arrive while the
    /// gateway is busy wait for it; measured with `ingest-bench` (16 devices, 64 in flight):
    /// 0 µs → ~8 readings per commit, 1 ms → ~33 and about a fifth more readings per second.
    static let gatherMicroseconds: UInt32 = 1000

    private struct State {
        var waiting: [(reading: PreparedReading, answer: CoAPDeferredResponse)] = []
        var draining = false
    }

    private let state = Locked(State())
    private let worker = DispatchQueue(label: "securecoap.gateway.commit")
    private let commit: @Sendable ([PreparedReading]) -> [CoAPResponse]

    /// `commit` stores a batch and returns one answer per reading, in order.
    init(commit: @escaping @Sendable ([PreparedReading]) -> [CoAPResponse]) {
        self.commit = commit
    }

    /// True when no commit runs and none waits: an inline commit then cannot overtake one.
    var isIdle: Bool { state.withLock { !$0.draining && $0.waiting.isEmpty } }

    /// Queues `reading` for the next grouped commit; `answer` gets its response once committed.
    func submit(_ reading: PreparedReading, answer: CoAPDeferredResponse) {
        let start = state.withLock { s -> Bool in
            s.waiting.append((reading, answer))
            guard !s.draining else { return false }
            s.draining = true
            return true
        }
        if start { worker.async { self.drain() } }
    }

    /// Commits batches until nothing waits. Worker queue only.
    private func drain() {
        while true {
            // Under load more readings are on their way: a moment's wait fills the batch, and
            // every reading it adds saves a transaction (~9 WAL writes, 6 locks, 1 sync).
            if state.withLock({ $0.waiting.count }) < Self.maxBatch { usleep(Self.gatherMicroseconds) }
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
            let answers = commit(batch.map(\.reading))
            for (item, answer) in zip(batch, answers) { item.answer.send(answer) }
        }
    }
}
