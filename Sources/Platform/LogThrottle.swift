/// Keeps a repeated log line from flooding the log: per key (a kind of event and its source), the
/// first ``burst`` occurrences in each ``interval`` are logged and the rest only counted; the
/// counts come back from ``drain(now:)`` once their interval is over, for one summary line each.
///
/// A hostile peer decides how often an event happens, so what it costs the log must not grow with
/// that. Memory is bounded too: at most ``maxKeys`` keys are tracked; beyond that, occurrences
/// are counted under one overflow key.
///
/// Not thread-safe: its owner serialises access (a lock, or the loop thread).
package struct LogThrottle: Sendable {
    package struct Summary: Sendable, Equatable {
        package var key: String
        /// Occurrences counted but not logged in the interval.
        package var suppressed: Int
        package var interval: Duration
    }

    /// The key under which occurrences are counted once ``maxKeys`` keys are tracked.
    package static let overflowKey = "(other sources)"

    package let interval: Duration
    private let intervalNanoseconds: UInt64
    package let burst: Int
    package let maxKeys: Int
    private var windows: [String: Window] = [:]

    private struct Window: Sendable {
        var start: UInt64
        var logged = 0
        var suppressed = 0
    }

    package init(interval: Duration = .seconds(10), burst: Int = 3, maxKeys: Int = 1_000) {
        self.interval = interval
        intervalNanoseconds = interval.nanoseconds
        self.burst = burst
        self.maxKeys = maxKeys
    }

    /// Whether this occurrence of `key` is to be logged (`now` in monotonic nanoseconds).
    package mutating func shouldLog(_ key: String, now: UInt64) -> Bool {
        let length = intervalNanoseconds
        var key = key
        if windows[key] == nil, windows.count >= maxKeys { key = Self.overflowKey }
        var window = windows[key] ?? Window(start: now)
        if now &- window.start >= length, window.suppressed == 0 { window = Window(start: now) }
        let log = window.logged < burst && now &- window.start < length
        if log { window.logged += 1 } else { window.suppressed += 1 }
        windows[key] = window
        return log
    }

    /// The keys whose interval is over and that had occurrences held back, with their counts; their
    /// windows start afresh. Call it now and then (each caller has a periodic timer or task).
    package mutating func drain(now: UInt64) -> [Summary] {
        let length = intervalNanoseconds
        var out: [Summary] = []
        for (key, window) in windows where now &- window.start >= length {
            if window.suppressed > 0 { out.append(Summary(key: key, suppressed: window.suppressed, interval: interval)) }
            windows.removeValue(forKey: key)
        }
        return out.sorted { $0.key < $1.key }
    }
}
