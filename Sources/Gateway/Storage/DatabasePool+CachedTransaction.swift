import GRDB

extension DatabasePool {
    /// Like `write(_:)` — one immediate transaction, rolled back when `updates` throws — but with
    /// `BEGIN` and `COMMIT` as cached statements: GRDB compiles both anew for every `write`, and the
    /// readings store's commit worker runs a transaction per batch.
    func writeInCachedTransaction<T>(_ updates: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
            do {
                let result = try updates(db)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return result
            } catch {
                // A failed COMMIT can leave the transaction open (SQLITE_BUSY) or already rolled
                // back by SQLite (an I/O error): roll back only what is still open.
                if db.isInsideTransaction { try? db.rollback() }
                throw error
            }
        }
    }
}
