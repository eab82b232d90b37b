public import Foundation
internal import GRDB
import Platform
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
internal import LibCrypto
#endif

/// A ``DeviceStore`` in an SQLite file, through GRDB: WAL mode (readers never block the writer),
/// versioned migrations, foreign keys, `secure_delete`, full synchronous commits.
///
/// Several processes may open the same file: each write is an immediate transaction, and a writer
/// that finds the database locked retries for up to `busyTimeout` seconds before failing with
/// ``DeviceRegistryError/Code/databaseLocked``. A new database file is created with mode 0600
/// (SQLite gives its `-wal` and `-shm` files the same mode).
public final class SQLiteDeviceStore: DeviceStore {
    /// The database file.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed, and migrating to the current schema) the database at `path`.
    /// Throws ``DeviceRegistryError/Code/unsupportedVersion`` for a database written by a newer
    /// version, ``DeviceRegistryError/Code/databaseLocked`` when another process holds it locked
    /// for longer than `busyTimeout` seconds, and ``DeviceRegistryError/Code/storage`` for a file
    /// that is not a registry database.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.path = path
        try Self.createPrivateFileIfMissing(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "securecoap.registry"
        configuration.foreignKeysEnabled = true
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Every registry change is flushed to the device before it returns. Set only now: a
            // pool sets `synchronous = NORMAL` when it enters WAL mode, after `prepareDatabase`.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw Self.translate(error, path: path)
        }
        try Self.migrate(pool, path: path)
    }

    private static func createPrivateFileIfMissing(_ path: String) throws {
        do throws(FileError) {
            try DurableFile.createExclusive(path, contents: [])
        } catch where error.code != EEXIST {
            throw DeviceRegistryError(.storage, "cannot create the database \(path): \(FileError.reason(error.code))")
        } catch {}
    }

    private static func migrate(_ pool: DatabasePool, path: String) throws {
        let migrator = SQLiteSchema.migrator
        do {
            let (superseded, complete, foreignTables) = try pool.read { db in
                let superseded = try migrator.hasBeenSuperseded(db)
                let complete = try migrator.hasCompletedMigrations(db)
                let hasMigrations = try db.tableExists("grdb_migrations")
                let tables = hasMigrations ? 0 : try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                return (superseded, complete, tables)
            }
            if superseded {
                throw DeviceRegistryError(
                    .unsupportedVersion,
                    "the database \(path) was written by a newer version of the registry (schema newer than \(SQLiteSchema.version)); upgrade this tool")
            }
            if foreignTables > 0 {
                throw DeviceRegistryError(.storage, "\(path) is an SQLite database but not a device registry")
            }
            if !complete {
                try migrator.migrate(pool)
            }
        } catch {
            throw translate(error, path: path)
        }
    }

    /// Turns GRDB errors into registry errors with messages a person can act on; other errors pass.
    static func translate(_ error: any Error, path: String) -> any Error {
        if error is RowDecodingError {
            return DeviceRegistryError(.integrity, "unexpected data in the database \(path): \(error)")
        }
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return DeviceRegistryError(
                .databaseLocked, "the database \(path) is locked by another process (busy timeout expired); try again")
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return DeviceRegistryError(.storage, "\(path) is not a device registry database (or it is corrupted)")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            return DeviceRegistryError(.storage, "cannot open the database \(path) for writing: \(error.message ?? "permission denied")")
        case .SQLITE_CONSTRAINT:
            return DeviceRegistryError(.alreadyExists, "refused by the database: \(error.message ?? "constraint failed")")
        case .SQLITE_FULL:
            return DeviceRegistryError(.storage, "the disk holding \(path) is full")
        default:
            return DeviceRegistryError(.storage, "database error on \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    public func write<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T {
        do {
            return try pool.write { db in
                let transaction = SQLiteStoreTransaction(db: db, writable: true)
                let result = try body(transaction)
                if transaction.changed {
                    try db.execute(sql: "UPDATE registry_state SET change_counter = change_counter + 1 WHERE id = 1")
                }
                return result
            }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    public func read<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T {
        do {
            return try pool.read { db in try body(SQLiteStoreTransaction(db: db, writable: false)) }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    public func changeCounter() throws -> Int64 {
        do {
            return try pool.read { db in
                try Int64.fetchOne(db, sql: "SELECT change_counter FROM registry_state WHERE id = 1") ?? 0
            }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    public func recordLastSeen(_ times: [String: Date]) throws {
        guard !times.isEmpty else { return }
        do {
            try pool.write { db in
                let statement = try db.cachedStatement(
                    sql: "UPDATE devices SET last_seen = ?1 WHERE id = ?2 AND (last_seen IS NULL OR last_seen < ?1)")
                for (id, time) in times {
                    try statement.execute(arguments: [time.millisecondsSince1970, id])
                }
            }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// The writer connection's SQLite `synchronous` level as commits use it (2: FULL).
    package func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Copies committed WAL pages into the database file and truncates the WAL.
    public func checkpoint() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Closes every connection. The store cannot be used afterwards.
    public func close() throws {
        do {
            try pool.close()
        } catch {
            throw Self.translate(error, path: path)
        }
    }
}
