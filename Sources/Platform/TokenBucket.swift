/// A token bucket: `rate` tokens a second on average, at most `burst` at once. Not thread-safe:
/// its owner serialises access (a lock, or the loop thread).
package struct TokenBucket: Sendable {
    package let rate: Double
    package let burst: Double
    private var tokens: Double
    private var updated: UInt64

    /// A full bucket; `now` in monotonic nanoseconds.
    package init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        updated = now
    }

    /// Takes one token; false when none is left.
    package mutating func take(now: UInt64) -> Bool {
        if now > updated {
            tokens = min(burst, tokens + Double(now - updated) / 1e9 * rate)
            updated = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
