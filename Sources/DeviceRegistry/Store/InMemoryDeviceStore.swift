public import Foundation
internal import LibCrypto
import Platform

/// A ``DeviceStore`` in memory, for unit tests and demos. Transactions are serialized by a lock and
/// applied to a copy of the state, which replaces the state only when the body returns.
public final class InMemoryDeviceStore: DeviceStore {
    struct State {
        var devices: [String: Device] = [:]
        var credentials: [StoredCredential] = []
        var rules: [AccessRule] = []
        var audit: [AuditEntry] = []
        var metadata: [String: String] = [:]
        var counter: Int64 = 0
    }

    private let state = Locked(State())

    /// An empty store.
    public init() {}

    public func write<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T {
        try state.withLock { state in
            let transaction = InMemoryStoreTransaction(state: state, writable: true)
            let result = try body(transaction)
            if transaction.changed { transaction.state.counter += 1 }
            state = transaction.state
            return result
        }
    }

    public func read<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T {
        let snapshot = state.withLock { $0 }
        return try body(InMemoryStoreTransaction(state: snapshot, writable: false))
    }

    public func changeCounter() throws -> Int64 {
        state.withLock { $0.counter }
    }

    public func recordLastSeen(_ times: [String: Date]) throws {
        state.withLock { state in
            for (id, time) in times {
                guard var device = state.devices[id] else { continue }
                if device.lastSeen.map({ $0 < time }) ?? true {
                    device.lastSeen = time.roundedToMilliseconds
                    state.devices[id] = device
                }
            }
        }
    }
}
