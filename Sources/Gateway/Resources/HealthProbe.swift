import Foundation
import LibCrypto

import Platform
#if canImport(Glibc)
import Glibc
#endif

/// The store check behind `GET /health`: made off the CoAP loop, at most once per ``interval``.
///
/// `/health` is open to anyone and answered on the CoAP loop, so it must not read the store per
/// request. The check opens the file on a connection of its own (``ReadingsStore/opensAndReads()``:
/// a pooled reader already open goes on reading a file removed underneath it), and reads the free
/// space of the store's file system. A request that finds the last result older than ``interval``
/// gets that result and starts a new check on a utility queue: a store that stops being readable,
/// or a disk that fills, shows within about ``interval`` and one more request.
final class HealthProbe: Sendable {
    static let interval = Duration.seconds(1)

    /// What the last check found.
    struct Result: Sendable {
        var readable: Bool
        /// Bytes free for the store on its file system (nil when it could not be read).
        var freeBytes: Int?
    }

    private struct State {
        var at: ContinuousClock.Instant
        var result: Result
        var checking = false
    }

    private let store: ReadingsStore
    private let state: Locked<State>
    private let queue = DispatchQueue(label: "securecoap.gateway.health-probe", qos: .utility)

    /// Checks once now (the caller is not the loop: the gateway is being set up).
    init(store: ReadingsStore) {
        self.store = store
        state = Locked(State(at: .now, result: Self.check(store)))
    }

    /// The last check's result; starts a new check when that one is older than ``interval``.
    func lastResult() -> Result {
        let now = ContinuousClock.now
        let (result, check) = state.withLock { s -> (Result, Bool) in
            guard !s.checking, now - s.at >= Self.interval else { return (s.result, false) }
            s.checking = true
            return (s.result, true)
        }
        if check {
            queue.async { [self] in
                let result = Self.check(store)
                state.withLock { $0 = State(at: .now, result: result) }
            }
        }
        return result
    }

    /// Whether the store answered a read at the last check.
    func storeReadable() -> Bool { lastResult().readable }

    private static func check(_ store: ReadingsStore) -> Result {
        Result(readable: store.opensAndReads(), freeBytes: freeBytes(near: store.path))
    }

    /// The bytes an unprivileged writer may still use on the file system holding `path`.
    static func freeBytes(near path: String) -> Int? {
        var directory = path
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[..<slash]) } else { directory = "." }
        var info = statvfs()
        guard statvfs(directory.isEmpty ? "/" : directory, &info) == 0 else { return nil }
        return Int(clamping: UInt64(info.f_bavail) &* UInt64(info.f_frsize))
    }
}
