import Platform

/// A token bucket per device: `rate` messages per second on average, bursts up to `burst`. Only
/// devices proven by their channel or their seal get a bucket, so the map is bounded by the
/// registry.
final class RateLimiter: Sendable {
    private let buckets = Locked<[String: TokenBucket]>([:])
    let rate: Double
    let burst: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `key`; false when the bucket is empty.
    func allow(_ key: String, now: UInt64 = monotonicNanoseconds()) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? TokenBucket(rate: rate, burst: burst, now: now)
            defer { buckets[key] = bucket }
            return bucket.take(now: now)
        }
    }
}
