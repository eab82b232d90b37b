import Foundation
import GRDB
import Sealing

/// The replay state of every sealing kid the gateway has accepted messages under (the highest
/// sequence number and the 64-entry window below it, RFC 8613 §7.4), in a file of its own beside
/// the readings store.
///
/// It lives apart from the readings so that losing the readings store, or restoring an older copy
/// of it, cannot re-open replays of messages accepted since. Each group commit writes the
/// readings, then their windows here, then answers: no acknowledged message is newer than the
/// windows here. The file records which readings store it goes with and how many of its commits
/// it has seen; ``GatewayStorage`` checks both at opening (docs/security.md, "Replay protection").
final class ReplayStore: Sendable {
    /// The readings store this state goes with: its id, and the commits of it seen here.
    struct Binding: Equatable {
        var storeID: [UInt8]
        var commits: Int64
    }

    let path: String
    private let queue: DatabaseQueue

    init(path: String, durability: ReadingsDurability) throws {
        self.path = path
        let store = SQLiteIntegrity.Store(
            name: "replay state", path: path,
            remedy: "Restore it from a backup as recent as the readings store, or move it aside and start with --rebuild-replay-state.")
        do {
            var configuration = Configuration()
            configuration.journalMode = .wal
            try SQLiteIntegrity.check(store)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(durability.synchronousLevel)") }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE replay_windows (kid BLOB PRIMARY KEY, highest INTEGER, bitmap INTEGER NOT NULL);
                    CREATE TABLE binding (one INTEGER PRIMARY KEY CHECK (one = 1), store_id BLOB NOT NULL, commits INTEGER NOT NULL);
                    """)
            }
            try migrator.migrate(queue)
        } catch let error as GatewayError {
            throw error
        } catch {
            if SQLiteIntegrity.isDamage(error) { throw SQLiteIntegrity.damaged(store, "\(error)") }
            throw GatewayError("cannot open the replay state \(path): \(error)")
        }
    }

    /// Copies the write-ahead log into the file and empties it (at a graceful stop: the file alone
    /// is then the whole state, for a backup; see ``ReadingsStore``'s).
    func checkpointLog() { SQLiteIntegrity.emptyLog(queue) }

    /// The readings store this state goes with, if it has been bound to one.
    func binding() throws -> Binding? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT store_id, commits FROM binding").map {
                Binding(storeID: Array($0["store_id"] as Data), commits: $0["commits"])
            }
        }
    }

    /// Binds this state to a readings store (a new one, or one whose commits are taken as they are).
    func bind(_ binding: Binding) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO binding (one, store_id, commits) VALUES (1, ?, ?)",
                           arguments: [Data(binding.storeID), binding.commits])
        }
    }

    /// Every kid's window.
    func windows() throws -> [[UInt8]: ReplayWindow] {
        try queue.read { db in
            var out: [[UInt8]: ReplayWindow] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kid, highest, bitmap FROM replay_windows") {
                out[Array(row["kid"] as Data)] = Self.window(row)
            }
            return out
        }
    }

    /// One kid's window, if any.
    func window(kid: [UInt8]) throws -> ReplayWindow? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT highest, bitmap FROM replay_windows WHERE kid = ?", arguments: [Data(kid)]).map(Self.window)
        }
    }

    /// Writes windows (each replaces its kid's) and the readings store's commit count, in one
    /// transaction.
    func record(_ windows: [[UInt8]: ReplayWindow], commits: Int64) throws {
        try queue.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO replay_windows (kid, highest, bitmap) VALUES (?, ?, ?)")
            for (kid, window) in windows {
                try statement.execute(arguments: [
                    Data(kid), window.highest.map { Int64(bitPattern: $0) }, Int64(bitPattern: window.bitmap),
                ])
            }
            try db.execute(sql: "UPDATE binding SET commits = ? WHERE one = 1", arguments: [commits])
        }
    }

    private static func window(_ row: Row) -> ReplayWindow {
        let highest: Int64? = row["highest"]
        let bitmap: Int64 = row["bitmap"]
        return ReplayWindow(highest: highest.map { UInt64(bitPattern: $0) }, bitmap: UInt64(bitPattern: bitmap))
    }
}
