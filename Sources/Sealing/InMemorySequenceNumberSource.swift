internal import LibCrypto
import Platform
/// Sequence numbers counted in memory only: for tests and benchmarks. After a restart it starts
/// again, so a real sender would reuse nonces; use ``FileSequenceNumberSource`` there.
public final class InMemorySequenceNumberSource: SequenceNumberSource {
    private let next: Locked<UInt64>

    /// Starts at `first`.
    public init(startingAt first: UInt64 = 0) {
        next = Locked(first)
    }

    public func nextSequenceNumber() throws -> UInt64 {
        try next.withLock { next in
            guard next <= SealingFormat.maxSequenceNumber else {
                throw SealingError(.sequenceExhausted, "no sequence numbers left below 2^40; rotate the key")
            }
            defer { next += 1 }
            return next
        }
    }
}
