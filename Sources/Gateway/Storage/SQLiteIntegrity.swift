import Foundation
import GRDB

/// The checks a store file passes, and how it is left at a graceful stop.
///
/// The check a store file passes before a gateway uses it: SQLite's `quick_check` (every page and
/// record readable and well-formed; indexes are not cross-checked, which is what makes it quick). A
/// truncated or overwritten file stops the gateway at start, with what to do, before anything is
/// written to it: serving from it would answer reads with holes and commit on top of the damage.
/// It reads the whole file once, so it costs start-up time in proportion to the store's size
/// (Benchmarks/RESULTS.md).
enum SQLiteIntegrity {
    /// What a store is, and how an operator gets going again without it, for the message.
    struct Store {
        var name: String
        var path: String
        var remedy: String
    }

    /// Throws a ``GatewayError`` naming `store` when its file is damaged. Read-only, through a
    /// connection of its own, before the store is opened for writing: opening a pool writes (GRDB
    /// makes the log files with a write), and closing one checkpoints.
    static func check(_ store: Store) throws {
        guard hasContent(store.path) else { return }
        var configuration = Configuration()
        configuration.readonly = true
        let findings: [String]
        do {
            let database = try DatabaseQueue(path: store.path, configuration: configuration)
            findings = try database.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(3)") }
        } catch {
            // Only what says the file is damaged stops the start here; anything else (a log without
            // its index file, which a read-only connection cannot rebuild) is left to the open.
            guard isDamage(error) else { return }
            throw damaged(store, "\(error)")
        }
        guard findings == ["ok"] else { throw damaged(store, findings.joined(separator: "; ")) }
    }

    /// Empties a store's write-ahead log into its file (a truncating checkpoint), trying for up to
    /// a second while a reader or the background checkpointer holds it. Returns whether it did.
    @discardableResult
    static func emptyLog(_ writer: some DatabaseWriter) -> Bool {
        for _ in 0..<50 {
            if (try? writer.writeWithoutTransaction({ db in try db.checkpoint(.truncate) })) != nil { return true }
            usleep(20_000)
        }
        return false
    }

    /// Whether `path` is a file with something in it.
    static func hasContent(_ path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0) > 0
    }

    /// Whether an error opening a store says its file is not a sound database.
    static func isDamage(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    static func damaged(_ store: Store, _ detail: String) -> GatewayError {
        GatewayError("the \(store.name) \(store.path) is damaged (\(detail)); nothing was changed. \(store.remedy)")
    }
}
