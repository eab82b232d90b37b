/// How a node waits between delivery attempts while the gateway is unreachable or refusing:
/// exponential backoff with jitter.
///
/// The n-th consecutive failure (n = 1, 2, ...) waits `initialDelay × multiplier^(n−1)`, capped at
/// `maxDelay`, then shortened by a random fraction of at most `jitter` (so nodes that lost the same
/// gateway at the same moment do not come back in step). A success starts again at `initialDelay`.
public struct RetryPolicy: Sendable, Hashable {
    /// The wait after the first failure. Default 1 s.
    public var initialDelay: Duration
    /// The longest wait. Default 60 s.
    public var maxDelay: Duration
    /// The growth factor per failure. Default 2.
    public var multiplier: Double
    /// The largest fraction of the delay removed at random, 0 to 1. Default 0.5 (the wait lies
    /// between half the delay and the whole delay).
    public var jitter: Double

    /// Creates a policy; `multiplier` below 1 is taken as 1, `jitter` is clamped to 0...1.
    public init(
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60), multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = max(maxDelay, initialDelay)
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

    /// The defaults: 1 s, doubling, at most 60 s, jitter 0.5.
    public static let `default` = RetryPolicy()

    /// The delay before the next attempt after `failures` consecutive failures (at least 1),
    /// before jitter.
    public func nominalDelay(afterFailures failures: Int) -> Duration {
        let initial = initialDelay.seconds
        let exponent = Double(max(0, failures - 1))
        let seconds = min(maxDelay.seconds, initial * pow2(multiplier, exponent))
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// The jittered delay: `nominalDelay × (1 − jitter × random)`, `random` in 0..<1.
    public func delay(afterFailures failures: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let nominal = nominalDelay(afterFailures: failures).seconds
        let seconds = nominal * (1 - jitter * min(max(random, 0), 1))
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// `base^exponent` for a non-negative whole exponent, saturating instead of overflowing.
    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(min(exponent, 1024))
        while remaining > 0 && result < 1e12 {
            result *= base
            remaining -= 1
        }
        return result
    }
}
