import CoAP
import Foundation
public import Logging
import LibCrypto

/// Counts security events per device and per address, audits them, and locks out a device or an
/// address that goes over the threshold within the window, for the lockout time.
public final class SecurityMonitor: Sendable {
    /// The kinds of events counted.
    public enum Event: String, Sendable, CaseIterable {
        case handshakeFailure = "handshake-failure"
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

    public struct Policy: Sendable {
        /// Failures within `window` that trigger a lockout.
        public var threshold: Int
        public var window: Duration
        public var lockout: Duration

        public init(threshold: Int = 20, window: Duration = .seconds(60), lockout: Duration = .seconds(300)) {
            self.threshold = threshold
            self.window = window
            self.lockout = lockout
        }
    }

    private struct Tally {
        var counts: [Event: Int] = [:]
        var recent: [Double] = []
        var lockedUntil: Double?
    }

    private struct State {
        var devices: [String: Tally] = [:]
        var addresses: [String: Tally] = [:]
        var total: [Event: Int] = [:]
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

    /// Records an event; audits it; locks out what went over the threshold.
    public func record(_ event: Event, deviceID: String?, address: String?, detail: String) {
        let now = Date().timeIntervalSince1970
        let window = policy.window.timeInterval, lockout = policy.lockout.timeInterval, threshold = policy.threshold
        var lockedOut: [String] = []
        state.withLock { s in
            s.total[event, default: 0] += 1
            func bump(_ tally: inout Tally, _ name: String) {
                tally.counts[event, default: 0] += 1
                tally.recent = tally.recent.filter { $0 > now - window } + [now]
                if tally.recent.count >= threshold, (tally.lockedUntil ?? 0) < now {
                    tally.lockedUntil = now + lockout
                    lockedOut.append(name)
                }
            }
            if let deviceID { bump(&s.devices[deviceID, default: Tally()], "device \(deviceID)") }
            if let address { bump(&s.addresses[address, default: Tally()], "address \(address)") }
        }
        logger.notice("security event", metadata: [
            "security.event": "\(event.rawValue)", "device": "\(deviceID ?? "-")", "peer": "\(address ?? "-")", "detail": "\(detail)",
        ])
        directory.audit("security.\(event.rawValue)", deviceID: deviceID, detail: "\(address.map { "from \($0): " } ?? "")\(detail)")
        for name in lockedOut {
            logger.warning("locked out after repeated failures", metadata: ["who": "\(name)", "seconds": "\(Int(lockout))"])
            directory.audit("security.lockout", deviceID: deviceID, detail: "\(name) locked out for \(Int(lockout)) s")
        }
    }

    public func isLockedOut(deviceID: String) -> Bool { locked { $0.devices[deviceID] } }
    public func isLockedOut(address: String) -> Bool { locked { $0.addresses[address] } }

    private func locked(_ pick: (State) -> Tally?) -> Bool {
        let now = Date().timeIntervalSince1970
        return state.withLock { s in (pick(s)?.lockedUntil ?? 0) > now }
    }

    /// Counters and lockouts, as JSON for `GET /security`.
    public func reportJSON() -> [UInt8] {
        let now = Date().timeIntervalSince1970
        let s = state.withLock { $0 }
        func tallies(_ d: [String: Tally]) -> [String: Any] {
            d.mapValues { t in
                var entry: [String: Any] = ["counts": Dictionary(uniqueKeysWithValues: t.counts.map { ($0.key.rawValue, $0.value) })]
                if let until = t.lockedUntil, until > now { entry["locked_for_s"] = Int(until - now) }
                return entry
            }
        }
        let object: [String: Any] = [
            "totals": Dictionary(uniqueKeysWithValues: s.total.map { ($0.key.rawValue, $0.value) }),
            "devices": tallies(s.devices), "addresses": tallies(s.addresses),
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// Totals per event kind.
    public var totals: [Event: Int] { state.withLock { $0.total } }
}
