public import Foundation

/// Where a ``DeviceRegistry`` keeps devices, credentials, rules and the audit log.
///
/// Two implementations ship: ``SQLiteDeviceStore`` (a file, WAL mode, for one or several processes
/// on one machine) and ``InMemoryDeviceStore`` (tests, demos). Another store, such as PostgreSQL
/// for a fleet of gateways, implements this protocol: atomic transactions, a change counter that
/// increases with every committed change to devices, credentials or rules, and a cheap batched
/// last-seen update.
public protocol DeviceStore: Sendable {
    /// Runs `body` in one atomic write transaction: all of its changes are committed, or none
    /// (when it throws). Concurrent writers (threads or processes) are serialized.
    func write<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T

    /// Runs `body` on a consistent snapshot of the store.
    func read<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T

    /// A number that increases whenever a transaction that changed devices, credentials or rules
    /// commits, in this process or another. Polled several times a second: keep it cheap.
    func changeCounter() throws -> Int64

    /// Records when devices were last seen, without counting as a change (no cache reload).
    func recordLastSeen(_ times: [String: Date]) throws
}
