import CBOR
import CoAP
import Foundation
import GRDB
public import LibCrypto
public import Sealing
public import SenML
import Platform

/// The gateway's readings: SQLite (WAL), one row per accepted message, committed as far as its
/// ``ReadingsDurability`` says.
///
/// What queries need is in clear (row id, device, time); the content (names, values, units) is
/// sealed with AES-256-GCM under a data key, with the row's id, device and time as associated data,
/// so a row's content cannot be moved to another row or device undetected. The data key is stored
/// wrapped under a key derived from the master key; the master key itself never touches this file.
/// The replay windows of the sealing kids are stored in the same transaction as the readings they
/// admitted: a copy, from which ``GatewayStorage`` brings the replay state (``ReplayStore``, the
/// one that counts) up to date after a crash between the two commits. The store has an id of its
/// own and counts its commits, so that the replay state can tell it is the store it goes with and
/// that it is not older than the replay state.
public final class ReadingsStore: Sendable {
    /// Ciphers are not thread-safe (one OpenSSL context each): used only under the lock.
    private struct Keys {
        var ciphers: [Int64: any ReadingsContentCipher]
        var current: Int64
        var nextRowID: Int64
        /// The highest row id `readings_by_device` covers (see ReadingsStore+DeviceIndex).
        var indexedUpTo: Int64
        /// Transactions that appended readings, in all.
        var commits: Int64
        let wrapper: AEADCipher
    }

    /// This store's id, made when it was created.
    public let storeID: [UInt8]

    private let pool: DatabasePool
    /// The database file.
    let path: String
    /// Checkpoints the log after commits, off the commit path.
    private let checkpointer: WALCheckpointer
    /// Rows committed in all: those found at opening plus those committed since (kept apart
    /// from `keys`, which a commit holds while it writes).
    private let committedRows: Locked<Int64>
    private let keys: Locked<Keys>
    /// What a commit survives.
    public let durability: ReadingsDurability

    /// Opens or creates the store. Throws a clear error when `masterKey` is not the one the store
    /// was created with (nothing is changed then).
    public convenience init(path: String, masterKey: SecureBytes, durability: ReadingsDurability = .processCrash) throws {
        try self.init(path: path, masterKey: masterKey, durability: durability, contentCipher: nil)
    }

    /// Package-only: `contentCipher` takes the place of every data key (the benchmark's baseline,
    /// see ``ReadingsContentCipher``), never a product option.
    package init(
        path: String, masterKey: SecureBytes, durability: ReadingsDurability,
        contentCipher: (@Sendable () throws -> any ReadingsContentCipher)?
    ) throws {
        self.durability = durability
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
        }
        let store = SQLiteIntegrity.Store(
            name: "readings store", path: path,
            remedy: "Restore it from a backup, or move it aside and start with --new-readings-store (replay protection is kept).")
        do {
            try SQLiteIntegrity.check(store)
            pool = try DatabasePool(path: path, configuration: configuration)
            // Only now: a pool sets `synchronous = NORMAL` when it enters WAL mode, after
            // `prepareDatabase`, so a level set there does not last. The writer is the only
            // connection that commits.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(durability.synchronousLevel)") }
            checkpointer = try WALCheckpointer(path: path)
        } catch let error as GatewayError {
            throw error
        } catch {
            if SQLiteIntegrity.isDamage(error) { throw SQLiteIntegrity.damaged(store, "\(error)") }
            throw GatewayError("cannot open the readings store \(path): \(error)")
        }
        let wrapKey = try HKDF.deriveKey(
            inputKeyMaterial: masterKey, salt: Array("securecoap".utf8), info: Array("readings data-key wrap v1".utf8), outputLength: 32)
        let wrapper = try AEADCipher(algorithm: .aes256GCM, key: wrapKey)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE data_keys (id INTEGER PRIMARY KEY, nonce BLOB NOT NULL, wrapped BLOB NOT NULL, created REAL NOT NULL);
                CREATE TABLE readings (
                    id INTEGER PRIMARY KEY, device TEXT NOT NULL, time REAL NOT NULL,
                    key_id INTEGER NOT NULL, nonce BLOB NOT NULL, content BLOB NOT NULL);
                CREATE INDEX readings_by_device_time ON readings (device, time);
                CREATE TABLE replay_windows (kid BLOB PRIMARY KEY, highest INTEGER, bitmap INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("v2-bulk-device-index", migrate: Self.migrateToDeviceIndex)
        migrator.registerMigration("v3-identity") { db in
            try db.execute(sql: "CREATE TABLE store_meta (one INTEGER PRIMARY KEY CHECK (one = 1), store_id BLOB NOT NULL, commits INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO store_meta (one, store_id, commits) VALUES (1, ?, 0)",
                           arguments: [Data(try SecureRandom.bytes(count: 16))])
        }
        try migrator.migrate(pool)
        let (storeID, commits) = try pool.read { db -> ([UInt8], Int64) in
            guard let row = try Row.fetchOne(db, sql: "SELECT store_id, commits FROM store_meta") else {
                throw GatewayError("the readings store \(path) has no identity row")
            }
            return (Array(row["store_id"] as Data), row["commits"])
        }
        self.storeID = storeID
        var (ciphers, current, next, indexed) = try pool.write { db -> ([Int64: any ReadingsContentCipher], Int64, Int64, Int64) in
            var keys: [Int64: any ReadingsContentCipher] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, nonce, wrapped FROM data_keys") {
                let id: Int64 = row["id"]
                let nonce: [UInt8] = Array(row["nonce"] as Data)
                let wrapped: [UInt8] = Array(row["wrapped"] as Data)
                let raw: [UInt8]
                do {
                    raw = try wrapper.open(wrapped, nonce: nonce, authenticating: Self.wrapAAD(id))
                } catch {
                    throw GatewayError("the master key does not match the readings store (data key \(id) cannot be unwrapped); nothing was changed")
                }
                keys[id] = try AEADCipher(algorithm: .aes256GCM, key: SecureBytes(raw))
            }
            var current = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM data_keys") ?? 0
            if keys.isEmpty {
                current = 1
                keys[1] = try Self.insertDataKey(id: 1, db: db, wrapper: wrapper)
            }
            let next = (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM readings") ?? 0) + 1
            return (keys, current, next, try Self.indexedUpTo(db))
        }
        if let contentCipher {
            let replacement = try contentCipher()
            ciphers = ciphers.mapValues { _ in replacement }
        }
        keys = Locked(Keys(ciphers: ciphers, current: current, nextRowID: next, indexedUpTo: indexed, commits: commits, wrapper: wrapper))
        committedRows = Locked(next - 1)
    }

    private static func unwrapDataKey(id: Int64, db: Database, wrapper: AEADCipher) throws -> AEADCipher? {
        guard let row = try Row.fetchOne(db, sql: "SELECT nonce, wrapped FROM data_keys WHERE id = ?", arguments: [id]) else { return nil }
        let raw = try wrapper.open(Array(row["wrapped"] as Data), nonce: Array(row["nonce"] as Data), authenticating: wrapAAD(id))
        return try AEADCipher(algorithm: .aes256GCM, key: SecureBytes(raw))
    }

    private static func wrapAAD(_ id: Int64) -> [UInt8] { Array("securecoap data key \(id)".utf8) }

    private static func insertDataKey(id: Int64, db: Database, wrapper: AEADCipher) throws -> AEADCipher {
        let key = try SecureBytes.random(count: 32)
        let nonce = try SecureRandom.bytes(count: 12)
        let wrapped = try key.withUnsafeBytes { raw in try wrapper.seal(Array(raw), nonce: nonce, authenticating: wrapAAD(id)) }
        try db.execute(
            sql: "INSERT INTO data_keys (id, nonce, wrapped, created) VALUES (?, ?, ?, ?)",
            arguments: [id, Data(nonce), Data(wrapped), Date().timeIntervalSince1970])
        return try AEADCipher(algorithm: .aes256GCM, key: key)
    }

    /// The associated data binding a row's content to its place.
    static func rowAAD(id: Int64, device: String, time: Double) -> [UInt8] {
        var aad: [UInt8] = []
        rowAAD(id: id, device: device, time: time, into: &aad)
        return aad
    }

    /// ``rowAAD(id:device:time:)`` written into `aad` (replacing its contents, keeping its buffer).
    static func rowAAD(id: Int64, device: String, time: Double, into aad: inout [UInt8]) {
        aad.removeAll(keepingCapacity: true)
        aad.append(contentsOf: "securecoap reading v1|".utf8)
        withUnsafeBytes(of: id.bigEndian) { aad.append(contentsOf: $0) }
        withUnsafeBytes(of: time.bitPattern.bigEndian) { aad.append(contentsOf: $0) }
        aad.append(contentsOf: device.utf8)
    }

    /// One accepted message, ready to be stored: its device, arrival time, measurements, and —
    /// when it was sealed — its kid's replay window as it is once this message is recorded.
    public struct NewReading: Sendable {
        public var device: String
        public var time: Double
        public var measurements: [SenMLMeasurement]
        public var replay: (kid: [UInt8], window: ReplayWindow)?

        public init(device: String, time: Double, measurements: [SenMLMeasurement], replay: (kid: [UInt8], window: ReplayWindow)? = nil) {
            self.device = device
            self.time = time
            self.measurements = measurements
            self.replay = replay
        }
    }

    /// Stores one accepted message's measurements, and the kid's replay window when it was sealed,
    /// in one transaction. Returns the row id.
    @discardableResult
    public func append(device: String, time: Double, measurements: [SenMLMeasurement], replay: (kid: [UInt8], window: ReplayWindow)? = nil) throws -> Int64 {
        try append([NewReading(device: device, time: time, measurements: measurements, replay: replay)])[0]
    }

    /// Stores several messages in one transaction (one `fsync` under
    /// ``ReadingsDurability/powerLoss``): all or none. Replay windows are written in order, so a
    /// kid's last window in `batch` is the one kept. Returns the row ids, in order.
    @discardableResult
    public func append(_ batch: [NewReading]) throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        // One random draw for the whole batch, not a system call per reading.
        let nonces = try SecureRandom.bytes(count: 12 * batch.count)
        // A kid's last window in the batch is the one kept: write each kid once.
        var lastWindow: [[UInt8]: Int] = [:]
        for (i, reading) in batch.enumerated() {
            if let replay = reading.replay { lastWindow[replay.kid] = i }
        }
        // One writer at a time: row ids are allocated, sealed into the AAD and committed under
        // the lock, so ids are dense and never reused.
        return try keys.withLock { keys in
            let first = keys.nextRowID
            let indexTo = first - 1 - keys.indexedUpTo >= Self.indexBatch ? first - 1 : keys.indexedUpTo
            let keyID = keys.current
            guard let cipher = keys.ciphers[keyID] else { throw GatewayError("no data key \(keyID)") }
            var contents: [[UInt8]] = []
            contents.reserveCapacity(batch.count)
            var aad: [UInt8] = []
            for (i, reading) in batch.enumerated() {
                let plain = SenMLPack.cbor(reading.measurements)
                Self.rowAAD(id: first + Int64(i), device: reading.device, time: reading.time, into: &aad)
                contents.append(try cipher.sealRow(plain, nonce: nonces[(i * 12)..<(i * 12 + 12)], authenticating: aad))
            }
            do {
                try pool.writeInCachedTransaction { db in
                    // Index in bulk what earlier commits left unindexed (see ReadingsStore+DeviceIndex).
                    if indexTo > keys.indexedUpTo { try Self.index(db, after: keys.indexedUpTo, through: indexTo) }
                    let insert = try SQLiteInsert(db.cachedStatement(
                        sql: "INSERT INTO readings (id, device, time, key_id, nonce, content) VALUES (?, ?, ?, ?, ?, ?)"))
                    let window = try SQLiteInsert(db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO replay_windows (kid, highest, bitmap) VALUES (?, ?, ?)"))
                    for (i, reading) in batch.enumerated() {
                        insert.bind(1, first + Int64(i))
                        insert.bind(2, reading.device)
                        insert.bind(3, reading.time)
                        insert.bind(4, keyID)
                        insert.bind(5, blob: nonces[(i * 12)..<(i * 12 + 12)])
                        insert.bind(6, blob: contents[i])
                        try insert.run(db)
                    }
                    for i in lastWindow.values {
                        guard let replay = batch[i].replay else { continue }
                        if let highest = replay.window.highest { window.bind(2, Int64(bitPattern: highest)) } else { window.bindNull(2) }
                        window.bind(3, Int64(bitPattern: replay.window.bitmap))
                        window.bind(1, blob: replay.kid)
                        try window.run(db)
                    }
                    try db.cachedStatement(sql: "UPDATE store_meta SET commits = commits + 1 WHERE one = 1").execute()
                }
            } catch {
                throw GatewayError("the readings store could not commit: \(error)",
                                   storageIsFull: (error as? DatabaseError)?.resultCode == .SQLITE_FULL)
            }
            checkpointer.didCommit()
            keys.indexedUpTo = max(keys.indexedUpTo, indexTo)
            keys.nextRowID += Int64(batch.count)
            keys.commits += 1
            committedRows.withLock { $0 = keys.nextRowID - 1 }
            return (0..<batch.count).map { first + Int64($0) }
        }
    }

    /// Transactions that appended readings, in all (the replay state records how many it has seen).
    /// Copies the write-ahead log into the file and empties it (at a graceful stop: the file alone
    /// is then the whole store, for a backup). A truncating checkpoint needs every reader gone, so
    /// it is tried for up to a second (the background checkpointer or a last read may be busy);
    /// after that the log is left for the next start, which loses nothing.
    func checkpointLog() { SQLiteIntegrity.emptyLog(pool) }

    public var commits: Int64 { keys.withLock { $0.commits } }

    /// Every kid's window as stored with the readings.
    func replayWindows() throws -> [[UInt8]: ReplayWindow] {
        try pool.read { db in
            var out: [[UInt8]: ReplayWindow] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kid, highest, bitmap FROM replay_windows") {
                let highest: Int64? = row["highest"]
                let bitmap: Int64 = row["bitmap"]
                out[Array(row["kid"] as Data)] = ReplayWindow(highest: highest.map { UInt64(bitPattern: $0) }, bitmap: UInt64(bitPattern: bitmap))
            }
            return out
        }
    }

    /// A kid's window as stored with the readings.
    public func replayWindow(kid: [UInt8]) -> ReplayWindow? {
        try? pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT highest, bitmap FROM replay_windows WHERE kid = ?", arguments: [Data(kid)]) else {
                return nil
            }
            let highest: Int64? = row["highest"]
            let bitmap: Int64 = row["bitmap"]
            return ReplayWindow(highest: highest.map { UInt64(bitPattern: $0) }, bitmap: UInt64(bitPattern: bitmap))
        }
    }

    /// A stored reading, decrypted.
    public struct Reading: Sendable {
        public var id: Int64
        public var device: String
        public var time: Double
        public var measurements: [SenMLMeasurement]
    }

    /// The result of a query: readings that decrypted, and how many rows were corrupt (their
    /// content or associated data edited) and left out.
    public struct QueryResult: Sendable {
        public var readings: [Reading]
        public var corruptRows: Int
    }

    /// A device's readings that arrived at or after `since` (seconds since the epoch), at most
    /// `limit` (the newest ones), oldest first. Order is by arrival time, then by row id.
    public func readings(device: String, since: Double? = nil, limit: Int = 100) throws -> QueryResult {
        let rows = try pool.read { db in
            try Self.newestRows(db, device: device, since: since ?? -Double.greatestFiniteMagnitude, limit: max(1, limit)).reversed()
        }
        var result = QueryResult(readings: [], corruptRows: 0)
        keys.withLock { keys in
            for row in rows {
                let id: Int64 = row["id"], rowDevice: String = row["device"], time: Double = row["time"]
                let keyID: Int64 = row["key_id"]
                do {
                    if keys.ciphers[keyID] == nil {
                        // Made by `coap-gateway rekey` in another process: unwrap it now.
                        keys.ciphers[keyID] = try? pool.read { db in try Self.unwrapDataKey(id: keyID, db: db, wrapper: keys.wrapper) }
                    }
                    guard let cipher = keys.ciphers[keyID] else { throw GatewayError("unknown data key") }
                    let plain = try cipher.openRow(Array(row["content"] as Data), nonce: Array(row["nonce"] as Data),
                                                   authenticating: Self.rowAAD(id: id, device: rowDevice, time: time))
                    let measurements = try SenMLPack.measurements(cbor: plain)
                    result.readings.append(Reading(id: id, device: rowDevice, time: time, measurements: measurements))
                } catch {
                    result.corruptRows += 1
                }
            }
        }
        return result
    }

    /// The writer connection's SQLite `synchronous` level (1 NORMAL, 2 FULL), as commits use it.
    package func writerSynchronousLevel() throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Rows in the store, counted (a scan of the whole table).
    public func count() throws -> Int { try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM readings") ?? 0 } }

    /// Readings stored in all, read from the store at the cost of one lookup however large it is:
    /// row ids are dense and rows are never deleted, so it is the highest id. ``count()`` says the
    /// same by scanning; `GET /health` shows ``committedTotal``, which reads nothing.
    public func total() throws -> Int { try pool.read { try Int.fetchOne($0, sql: "SELECT MAX(id) FROM readings") ?? 0 } }

    /// Whether the store's file opens and answers a read on a connection of its own. A pooled
    /// reader would not do: one already open goes on reading a file removed underneath it. Costs
    /// a file open, so ``HealthProbe`` asks at most once a second, off the CoAP loop.
    func opensAndReads() -> Bool {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let connection = try DatabaseQueue(path: path, configuration: configuration)
            _ = try connection.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM readings") }
            return true
        } catch {
            return false
        }
    }

    /// ``total()`` as this process knows it, without reading the store: the rows it found at
    /// opening plus those it has committed since (this process is the store's only writer).
    /// It never waits for a commit in progress: `GET /health` asks on the CoAP loop thread.
    public var committedTotal: Int { Int(committedRows.withLock { $0 }) }

    /// Makes a new data key and re-encrypts every reading under it, in batches, while ingestion
    /// goes on (new readings use the new key at once). Returns the rows re-encrypted.
    @discardableResult
    public func rekey(batchSize: Int = 500) throws -> Int {
        // The new key becomes current at once: new readings are sealed under it from now on.
        let newID = try keys.withLock { keys in
            try pool.write { db -> Int64 in
                let id = (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM data_keys") ?? 0) + 1
                keys.ciphers[id] = try Self.insertDataKey(id: id, db: db, wrapper: keys.wrapper)
                keys.current = id
                return id
            }
        }
        // Walks the table once in id order (a cursor, not a rescan from the start per batch); a
        // batch whose rows are all corrupt does not end the walk early.
        var (total, after) = (0, Int64(0))
        while true {
            // Batches under the lock: ingestion waits at most one batch.
            let (read, last, moved) = try keys.withLock { keys in
                try pool.write { db -> (Int, Int64, Int) in
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT id, device, time, key_id, nonce, content FROM readings
                        WHERE id > ? AND key_id <> ? ORDER BY id LIMIT ?
                        """, arguments: [after, newID, batchSize])
                    var moved = 0
                    for row in rows {
                        let id: Int64 = row["id"], device: String = row["device"], time: Double = row["time"]
                        let aad = Self.rowAAD(id: id, device: device, time: time)
                        guard let old = keys.ciphers[row["key_id"]], let new = keys.ciphers[newID],
                              let plain = try? old.openRow(Array(row["content"] as Data), nonce: Array(row["nonce"] as Data), authenticating: aad)
                        else { continue }  // a corrupt row stays as it is, and queries report it
                        let nonce = try SecureRandom.bytes(count: 12)
                        let sealed = try new.sealRow(plain, nonce: nonce[...], authenticating: aad)
                        try db.execute(sql: "UPDATE readings SET key_id = ?, nonce = ?, content = ? WHERE id = ?",
                                       arguments: [newID, Data(nonce), Data(sealed), id])
                        moved += 1
                    }
                    return (rows.count, rows.last.map { $0["id"] } ?? after, moved)
                }
            }
            checkpointer.didCommit()
            (total, after) = (total + moved, last)
            if read < batchSize { break }
        }
        return total
    }
}
