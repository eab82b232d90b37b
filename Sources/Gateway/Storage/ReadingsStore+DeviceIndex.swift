import GRDB

/// The readings-by-device index, kept up in bulk.
///
/// `readings` itself has no index: a commit appends rows in id order and dirties the table's
/// last page or two, whatever devices its readings come from. `readings_by_device` (device, time, id) finds
/// a device's rows, newest first and from a time on; it is brought up to date in bulk, ``indexBatch`` rows at a time, inside an
/// ordinary commit, and `index_state.upto` says how far it reaches. A query reads both parts in
/// one snapshot: the indexed rows through the index, the few newer ones by scanning the tail.
///
/// Why: with an index updated per row, every commit dirties a leaf of it per device it holds (a
/// page written to the WAL per device per commit); in bulk, a leaf is written once per
/// ~``indexBatch``/devices rows (Benchmarks/RESULTS.md, "Measurements behind the code").
extension ReadingsStore {
    /// Rows left unindexed before a commit indexes them: the most a query scans unindexed.
    static let indexBatch: Int64 = 1024

    /// Schema v2: the bulk index replaces v1's per-row (device, time) index, which also made
    /// "newest N of a device" sort every row of the device.
    static func migrateToDeviceIndex(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE readings_by_device (
                device TEXT NOT NULL, time REAL NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (device, time, id)) WITHOUT ROWID;
            CREATE TABLE index_state (one INTEGER PRIMARY KEY CHECK (one = 1), upto INTEGER NOT NULL);
            INSERT INTO readings_by_device (device, time, id) SELECT device, time, id FROM readings;
            INSERT INTO index_state (one, upto) VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM readings));
            DROP INDEX readings_by_device_time;
            """)
    }

    /// The highest row id the index covers.
    static func indexedUpTo(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT upto FROM index_state WHERE one = 1")) ?? 0
    }

    /// Indexes every row after `upto`, through `last`, in the caller's transaction.
    static func index(_ db: Database, after upto: Int64, through last: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO readings_by_device (device, time, id) SELECT device, time, id FROM readings WHERE id > ? AND id <= ?")
            .execute(arguments: [upto, last])
        try db.cachedStatement(sql: "UPDATE index_state SET upto = ? WHERE one = 1").execute(arguments: [last])
    }

    /// A device's newest `limit` rows with `time >= since`, newest first (by arrival time, then
    /// id), from one snapshot: the best `limit` of the unindexed tail (at most ~``indexBatch``
    /// rows scanned) merged with the best `limit` of the index (a range read, however many rows
    /// the device has).
    static func newestRows(_ db: Database, device: String, since: Double, limit: Int) throws -> [Row] {
        let upto = try indexedUpTo(db)
        let tail = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, device, time, key_id, nonce, content FROM readings
            WHERE id > ? AND device = ? AND time >= ? ORDER BY time DESC, id DESC LIMIT ?
            """), arguments: [upto, device, since, limit])
        let indexed = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT r.id, r.device, r.time, r.key_id, r.nonce, r.content
            FROM readings_by_device AS d JOIN readings AS r ON r.id = d.id
            WHERE d.device = ? AND d.time >= ? ORDER BY d.time DESC, d.id DESC LIMIT ?
            """), arguments: [device, since, limit])
        if tail.isEmpty { return indexed }
        let newerFirst = { (a: Row, b: Row) -> Bool in
            let (ta, tb): (Double, Double) = (a["time"], b["time"])
            return ta != tb ? ta > tb : (a["id"] as Int64) > (b["id"] as Int64)
        }
        return Array((tail + indexed).sorted(by: newerFirst).prefix(limit))
    }
}
