import Foundation
import GRDB
import LibCrypto
import Platform

/// Copies the readings store's write-ahead log back into the database file on a thread of its
/// own, so that no commit — and no reading waiting for its 2.01 — pays for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, which then
/// takes milliseconds longer: under load, the whole p99 of ingestion (Benchmarks/RESULTS.md,
/// "Measurements behind the code"). Here each commit only schedules a passive
/// checkpoint (it never waits for readers or writers) on a utility queue, at most one every
/// ``delay`` seconds, through a connection of its own. The writer keeps an automatic checkpoint
/// at ``backstopPages`` in case this one cannot keep up, so the log stays bounded either way.
final class WALCheckpointer: Sendable {
    /// Longest a committed page waits in the log before a checkpoint is started.
    static let delay: Double = 0.1
    /// The writer's own automatic checkpoint (`PRAGMA wal_autocheckpoint`), in pages: only
    /// reached when this checkpointer falls behind (SQLite's default is 1000).
    static let backstopPages = 16_000

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "securecoap.gateway.checkpoint", qos: .utility)
    private let scheduled = Locked(false)

    /// Opens a second read-write connection to `path` (read-only connections cannot checkpoint).
    init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Called after every commit: starts a checkpoint within ``delay`` unless one is pending.
    func didCommit() {
        let schedule = scheduled.withLock { pending in
            defer { pending = true }
            return !pending
        }
        guard schedule else { return }
        queue.asyncAfter(deadline: .now() + Self.delay) { [weak self] in self?.checkpoint() }
    }

    /// Checkpoints now (passive: copies what no reader still needs). Returns whether it ran.
    @discardableResult
    func checkpoint() -> Bool {
        scheduled.withLock { $0 = false }
        do {
            _ = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            return true
        } catch {
            return false
        }
    }
}
