import Platform

/// Keeps libcoap's per-datagram complaints (`discard malformed PDU`, `coap_pdu_parse: … bad
/// length`, alerts of failed handshakes) from turning a flood of hostile datagrams into a flood of
/// log lines: per kind of message, the first few in each interval are logged and the rest counted,
/// then summed up in one line (docs/security.md, "The log").
///
/// A kind is the message with its numbers taken out (addresses, ports, lengths), so one peer
/// varying them does not make new kinds; at most ``LogThrottle/maxKeys`` kinds are tracked.
/// Not thread-safe: ``LibCoAPRuntime`` serialises access.
struct LibCoAPLogFilter {
    private var throttle = LogThrottle(interval: .seconds(10), burst: 3, maxKeys: 200)
    private var lastDrain: UInt64 = 0

    /// Whether to log this occurrence of `message` (`now` in monotonic nanoseconds).
    mutating func shouldLog(_ message: String, now: UInt64) -> Bool {
        throttle.shouldLog(Self.kind(of: message), now: now)
    }

    /// The kinds whose interval is over with messages held back. Looked at no more than once a
    /// second, so a flood does not walk the kinds on every message.
    mutating func summaries(now: UInt64) -> [LogThrottle.Summary] {
        guard now &- lastDrain >= 1_000_000_000 else { return [] }
        lastDrain = now
        return throttle.drain(now: now)
    }

    /// The message with every run of digits made one `#`, at most 80 characters.
    static func kind(of message: String) -> String {
        var kind = ""
        var inDigits = false
        for character in message.prefix(120) {
            if character.isASCII, character.isNumber {
                if !inDigits { kind.append("#") }
                inDigits = true
            } else {
                kind.append(character)
                inDigits = false
            }
            if kind.count >= 80 { break }
        }
        return kind
    }
}
