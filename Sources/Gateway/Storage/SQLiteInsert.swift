import GRDB
import GRDBSQLite

/// A cached GRDB statement run with SQLite's own bind calls: the readings insert runs once per
/// reading on the commit worker, and GRDB's `StatementArguments` (an existential box and a
/// `Data` copy per value) cost more there than the insert itself.
///
/// Use inside the `Database` access that made the statement.
struct SQLiteInsert {
    private let handle: SQLiteStatement

    init(_ statement: Statement) { handle = statement.sqliteStatement }

    /// SQLite copies a transient value at once (SQLITE_TRANSIENT is a C macro Swift cannot import).
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
    /// Binds `value`'s UTF-8 bytes, all of them (a C string would end at an embedded NUL).
    func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            _ = utf8.withMemoryRebound(to: CChar.self) { text in
                guard let start = text.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                return sqlite3_bind_text(handle, index, start, Int32(text.count), Self.transient)
            }
        }
    }
    func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds `bytes` (SQLite copies them: the binding outlives the buffer). No bytes is an empty
    /// blob, not NULL (an empty buffer may have no address, which SQLite would bind as NULL).
    func bind(_ index: Int32, blob bytes: some Collection<UInt8>) {
        if bytes.isEmpty {
            sqlite3_bind_zeroblob(handle, index, 0)
            return
        }
        let bound = bytes.withContiguousStorageIfAvailable { buffer in
            sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), Self.transient)
        }
        if bound == nil { bind(index, blob: Array(bytes)) }
    }

    /// Runs the statement to completion and resets it for the next row.
    func run(_ db: Database) throws {
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        if let message { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message) }
    }
}
