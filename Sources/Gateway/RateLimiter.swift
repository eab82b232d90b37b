import CoAP
import Foundation
import LibCrypto
import Platform

/// A token bucket per device: `rate` messages per second on average, bursts up to `burst`.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let buckets = Locked<[String: Bucket]>([:])
    let rate: Double
    let burst: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `key`; false when the bucket is empty.
    func allow(_ key: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        buckets.withLock { buckets in
            var b = buckets[key] ?? Bucket(tokens: burst, updated: now)
            b.tokens = min(burst, b.tokens + (now - b.updated) * rate)
            b.updated = now
            let ok = b.tokens >= 1
            if ok { b.tokens -= 1 }
            buckets[key] = b
            return ok
        }
    }
}
