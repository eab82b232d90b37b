/// The observers a server has let register (RFC 7641), counted per resource, per peer address
/// and in total, so that ``CoAPServerLimits`` can cap them. A registration over a cap is declined
/// (5.03 with Max-Age: see ``CoAPServerLimits``), and nothing is kept.
///
/// libcoap keeps the observers themselves; this only counts them. It forgets a registration when
/// the client deregisters (Observe 1), when an error answers the registration, and when libcoap
/// frees the session. An observer libcoap drops by itself (a Reset to a notification, too many
/// unacknowledged ones) stays counted until its session is freed, which libcoap does once the
/// session has been idle for its session timeout: until then the count errs on the strict side.
/// Loop thread only.
struct ObserverRegistrations {
    struct Key: Hashable {
        /// The libcoap session (its bit pattern).
        var session: UInt
        var token: [UInt8]
        var path: String
    }

    /// What became of a registration.
    enum Outcome: Equatable {
        /// Kept (or it was kept already: the client registered again with the same token).
        case registered
        /// Over a cap: answer without Observe.
        case declined
    }

    let limits: CoAPServerLimits
    private var hosts: [Key: HostKey?] = [:]
    private var perPath: [String: Int] = [:]
    private var perHost: [HostKey: Int] = [:]
    private var perSession: [UInt: Set<Key>] = [:]

    init(limits: CoAPServerLimits) { self.limits = limits }

    /// Observers registered now.
    var count: Int { hosts.count }

    /// A client asks to observe `key.path`.
    mutating func register(_ key: Key, host: HostKey?) -> Outcome {
        if hosts[key] != nil { return .registered }
        if hosts.count >= limits.maxObservers || perPath[key.path, default: 0] >= limits.maxObserversPerResource
            || (host.map { perHost[$0, default: 0] } ?? 0) >= limits.maxObserversPerAddress
        {
            return .declined
        }
        hosts[key] = .some(host)
        perPath[key.path, default: 0] += 1
        if let host { perHost[host, default: 0] += 1 }
        perSession[key.session, default: []].insert(key)
        return .registered
    }

    /// The client deregistered, or the registration was answered with an error.
    mutating func remove(_ key: Key) {
        guard let host = hosts.removeValue(forKey: key) else { return }
        Self.decrement(&perPath, key.path)
        if let host { Self.decrement(&perHost, host) }
        if var keys = perSession[key.session] {
            keys.remove(key)
            perSession[key.session] = keys.isEmpty ? nil : keys
        }
    }

    /// libcoap frees `session`: its observers go with it.
    mutating func removeAll(session: UInt) {
        for key in perSession[session] ?? [] { remove(key) }
    }

    private static func decrement<K: Hashable>(_ counts: inout [K: Int], _ key: K) {
        let left = counts[key, default: 1] - 1
        counts[key] = left > 0 ? left : nil
    }
}
