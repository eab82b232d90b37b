public import CoAP
import Foundation
public import Logging
import LibCrypto
import Platform

/// Counts the gateway's security events, audits and logs them without letting a flood of them
/// flood the log or the audit, and locks out a device whose own misbehaviour is proven.
///
/// What an event may be pinned on is what it proves (docs/security.md, "Lockouts"):
/// - a *device* proven by the channel (its DTLS session) or by a seal that verified: its events
///   count toward its lockout, which refuses its requests and handshakes for the lockout time;
/// - a device only *claimed* (the identity in a failed handshake, the kid of a seal that did not
///   verify): counted for the report, never locked out, since anyone can claim any identity;
/// - the *source* address: counted for the report. Over plain CoAP it can be spoofed, so nothing
///   is refused for it; over DTLS the CoAP server throttles addresses whose handshakes keep
///   failing (``CoAP/DTLSServerLimits``).
///
/// Every event is counted; the first few of a kind from one source in each interval are logged
/// and audited one by one, the rest are summed up by ``flush()`` in one line and one audit entry.
public final class SecurityMonitor: Sendable {
    /// The kinds of events counted.
    public enum Event: String, Sendable, CaseIterable {
        case handshakeFailure = "handshake-failure"
        case handshakeAbandoned = "handshake-abandoned"
        case unknownIdentity = "unknown-identity"
        case certificateRefused = "certificate-refused"
        case unknownKid = "unknown-kid"
        case replay
        case tamperedSeal = "tampered-seal"
        case accessDenied = "access-denied"
        case rateLimited = "rate-limited"
        case oversized
        case malformed
        case foreignBaseName = "foreign-base-name"
        case unsealed
        case inactiveDevice = "inactive-device"
    }

    /// When a proven device's events lock it out.
    public struct Policy: Sendable {
        /// Events within `window` that lock a device out.
        public var threshold: Int
        public var window: Duration
        public var lockout: Duration

        public init(threshold: Int = 20, window: Duration = .seconds(60), lockout: Duration = .seconds(300)) {
            self.threshold = threshold
            self.window = window
            self.lockout = lockout
        }
    }

    /// The most sources and claimed devices counted for the report; beyond it, the quietest are
    /// forgotten (a spoofed flood names as many sources as it likes).
    static let maxTracked = 10_000

    private struct Tally {
        var counts: [Event: Int] = [:]
        var recent: [Double] = []
        var lockedUntil: Double?
        var total = 0
    }

    private struct State {
        /// Proven devices: counts, and what locks them out.
        var devices: [String: Tally] = [:]
        /// Source addresses (IP) and claimed devices: counts only.
        var sources: [String: Tally] = [:]
        var claims: [String: Tally] = [:]
        var total: [Event: Int] = [:]
        var log = LogThrottle()
    }

    private let state = Locked(State())
    private let policy: Policy
    private let directory: any GatewayDirectory
    private let logger: Logger

    public init(policy: Policy, directory: any GatewayDirectory, logger: Logger) {
        self.policy = policy
        self.directory = directory
        self.logger = logger
    }

    /// Records an event. `device` is the device the event proves misbehaved (authenticated by its
    /// channel or by a verified seal); `claimed` a device named but not proven; `source` where the
    /// message came from.
    public func record(_ event: Event, device: String? = nil, claimed: String? = nil, source: CoAPPeerAddress?, detail: String) {
        let now = Date().timeIntervalSince1970
        let window = policy.window.seconds, lockout = policy.lockout.seconds, threshold = policy.threshold
        let host = source?.host ?? "-"
        let (lockedOut, log) = state.withLock { s -> (Bool, Bool) in
            s.total[event, default: 0] += 1
            var locked = false
            if let device {
                var tally = s.devices[device] ?? Tally()
                tally.counts[event, default: 0] += 1
                tally.total += 1
                tally.recent.removeAll { $0 <= now - window }
                tally.recent.append(now)
                if tally.recent.count > threshold { tally.recent.removeFirst(tally.recent.count - threshold) }
                if tally.recent.count >= threshold, (tally.lockedUntil ?? 0) < now {
                    tally.lockedUntil = now + lockout
                    locked = true
                }
                s.devices[device] = tally
            }
            if source != nil { Self.count(event, in: &s.sources, key: host) }
            if let claimed, claimed != device { Self.count(event, in: &s.claims, key: claimed) }
            return (locked, s.log.shouldLog("\(event.rawValue) \(host)", now: monotonicNanoseconds()))
        }
        if log {
            logger.notice("security event", metadata: [
                "security.event": "\(event.rawValue)", "device": "\(device ?? "-")", "claimed": "\(claimed ?? "-")",
                "peer": "\(source.map { "\($0)" } ?? "-")", "detail": "\(detail)",
            ])
            directory.audit("security.\(event.rawValue)", deviceID: device ?? claimed,
                            detail: "\(source.map { "from \($0): " } ?? "")\(detail)")
        }
        if lockedOut, let device {
            logger.warning("device locked out after repeated failures", metadata: ["device": "\(device)", "seconds": "\(Int(lockout))"])
            directory.audit("security.lockout", deviceID: device, detail: "device \(device) locked out for \(Int(lockout)) s")
        }
    }

    private static func count(_ event: Event, in tallies: inout [String: Tally], key: String) {
        if tallies[key] == nil, tallies.count >= maxTracked {
            // Forget the quietest half: a flood of new names must not grow this without bound.
            let keep = tallies.sorted { $0.value.total > $1.value.total }.prefix(maxTracked / 2)
            tallies = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        tallies[key, default: Tally()].counts[event, default: 0] += 1
        tallies[key, default: Tally()].total += 1
    }

    /// Logs and audits, one line each, the events held back since the last flush because too many
    /// of a kind came from one source. The gateway calls it every few seconds.
    public func flush() {
        let summaries = state.withLock { $0.log.drain(now: monotonicNanoseconds()) }
        for summary in summaries {
            let parts = summary.key.split(separator: " ", maxSplits: 1).map(String.init)
            let (event, source) = (parts.first ?? "?", parts.count > 1 ? parts[1] : "-")
            let seconds = Int(summary.interval.seconds)
            logger.notice("security events not logged one by one", metadata: [
                "security.event": "\(event)", "peer": "\(source)", "count": "\(summary.suppressed)", "interval_s": "\(seconds)",
            ])
            directory.audit("security.\(event)", deviceID: nil,
                            detail: "from \(source): \(summary.suppressed) more in \(seconds) s, not recorded one by one")
        }
    }

    /// Whether a proven device is locked out now.
    public func isLockedOut(deviceID: String) -> Bool {
        let now = Date().timeIntervalSince1970
        return state.withLock { ($0.devices[deviceID]?.lockedUntil ?? 0) > now }
    }

    /// Counters and lockouts, as JSON for `GET /security`: totals; per device (proven), with the
    /// lockout time left; per source address; per claimed device; and the DTLS server's figures.
    public func reportJSON(dtls: DTLSServerStatistics? = nil, coap: CoAPServerStatistics? = nil) -> [UInt8] {
        let now = Date().timeIntervalSince1970
        let s = state.withLock { ($0.total, $0.devices, $0.sources, $0.claims) }
        func tallies(_ d: [String: Tally]) -> [String: Any] {
            d.mapValues { t in
                var entry: [String: Any] = ["counts": Dictionary(uniqueKeysWithValues: t.counts.map { ($0.key.rawValue, $0.value) })]
                if let until = t.lockedUntil, until > now { entry["locked_for_s"] = Int(until - now) }
                return entry
            }
        }
        var object: [String: Any] = [
            "totals": Dictionary(uniqueKeysWithValues: s.0.map { ($0.key.rawValue, $0.value) }),
            "devices": tallies(s.1), "addresses": tallies(s.2), "claimed": tallies(s.3),
        ]
        if let dtls {
            object["dtls"] = [
                "cookies_sent": dtls.cookiesSent, "cookies_not_sent": dtls.cookiesNotSent, "stray_datagrams": dtls.strayDatagrams,
                "handshakes_admitted": dtls.handshakesAdmitted, "handshakes_refused_at_capacity": dtls.handshakesRefusedAtCapacity,
                "handshakes_throttled": dtls.handshakesThrottled, "established": dtls.established, "failed": dtls.failed,
                "abandoned": dtls.abandoned, "handshakes_in_progress": dtls.handshakesInProgress, "sessions": dtls.sessions,
                "throttled_addresses": dtls.throttledAddresses,
            ]
        }
        if let coap {
            object["coap"] = [
                "observers": coap.observers, "observers_declined": coap.observersDeclined,
                "block_transfers": coap.blockTransfers, "block_transfers_refused": coap.blockTransfersRefused,
            ]
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// Totals per event kind.
    public var totals: [Event: Int] { state.withLock { $0.total } }
}
