import CBOR
import Foundation
import Gateway
import LibCrypto
import Sealing
import SenML
import Testing
import TestSupport

/// Readings at rest: nothing readable without the keys, edits detected, keys replaceable.
@Suite struct ReadingsStoreTests {
    static func temporaryPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("readings.db").path
    }

    static let measurements = [
        SenMLMeasurement(name: "node-9/kitchen-temperature", unit: "Cel", value: 23.625, time: 1_700_000_000),
        SenMLMeasurement(name: "node-9/door", stringValue: "wide-open-secret", time: 1_700_000_000),
    ]

    /// Every file of the store: the database, its WAL and shared memory.
    static func storeBytes(_ path: String) -> [UInt8] {
        ["", "-wal", "-shm"].flatMap { (try? Data(contentsOf: URL(fileURLWithPath: path + $0))).map(Array.init) ?? [] }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test func noNameValueOrUnitCanBeFoundInTheFiles() throws {
        let path = try Self.temporaryPath()
        let store = try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32))
        for _ in 0..<20 { try store.append(device: "node-9", time: 1_700_000_000, measurements: Self.measurements) }
        let bytes = Self.storeBytes(path)
        var value = 23.625.bitPattern.bigEndian
        let needles: [[UInt8]] = [
            Array("kitchen-temperature".utf8), Array("wide-open-secret".utf8), Array("Cel".utf8),
            Array("23.625".utf8), withUnsafeBytes(of: &value) { Array($0) },
            CBOR.float(23.625).encoded(), Array(Hex.encode(Array("kitchen".utf8)).utf8),
        ]
        for needle in needles { #expect(!Self.contains(bytes, needle), "found \(needle) in the store's files") }
        #expect(Self.contains(bytes, Array("node-9".utf8)), "the device id is in clear, for queries")
        #expect(try store.readings(device: "node-9").readings.count == 20)
    }

    /// The durability asked for is the one commits get, on the writer connection: FULL flushes
    /// the log per commit, NORMAL leaves it to the OS. (GRDB's pool sets NORMAL on entering WAL
    /// mode, after `prepareDatabase`, so a level set there silently did not last.)
    @Test(arguments: [(ReadingsDurability.processCrash, 1), (.powerLoss, 2)])
    func commitsUseTheDurabilityAskedFor(_ durability: ReadingsDurability, level: Int) throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        do {
            let store = try ReadingsStore(path: path, masterKey: key, durability: durability)
            #expect(store.durability == durability)
            try store.append(device: "node-9", time: 1_700_000_000, measurements: Self.measurements)
            #expect(try store.writerSynchronousLevel() == level)
        }
        // Reopened with the other level: the level is the connection's, not the file's.
        let other: ReadingsDurability = durability == .powerLoss ? .processCrash : .powerLoss
        let reopened = try ReadingsStore(path: path, masterKey: key, durability: other)
        #expect(try reopened.writerSynchronousLevel() == 3 - level)
        #expect(try reopened.count() == 1)
    }

    @Test func aBatchKeepsEachKidsLastReplayWindowAcrossARestart() throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        let (a, b): ([UInt8], [UInt8]) = ([0xA1], [0xB2])
        do {
            let store = try ReadingsStore(path: path, masterKey: key)
            // Interleaved kids, each window newer than the last: only the last per kid counts.
            let batch = [(a, 1), (b, 7), (a, 2), (b, 9), (a, 5)].map { kid, highest in
                ReadingsStore.NewReading(device: "node-9", time: 1_700_000_000, measurements: Self.measurements,
                                         replay: (kid, ReplayWindow(highest: UInt64(highest), bitmap: 1)))
            }
            #expect(try store.append(batch) == [1, 2, 3, 4, 5])
        }
        let reopened = try ReadingsStore(path: path, masterKey: key)
        #expect(reopened.replayWindow(kid: a)?.highest == 5)
        #expect(reopened.replayWindow(kid: b)?.highest == 9)
        #expect(reopened.replayWindow(kid: [0xC3]) == nil)
        #expect(try reopened.count() == 5)
        // An empty kid is an empty blob (not NULL), and a device name is stored byte for byte.
        try reopened.append(device: "nöde-ü", time: 1_700_000_001, measurements: Self.measurements,
                            replay: ([], ReplayWindow(highest: 3, bitmap: 1)))
        #expect(reopened.replayWindow(kid: [])?.highest == 3)
        #expect(try reopened.readings(device: "nöde-ü").readings.count == 1)
    }

    @Test func committedReadingsReachTheDatabaseFileWithoutAnotherCommit() async throws {
        let path = try Self.temporaryPath()
        let store = try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32))
        func fileSize() -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let empty = fileSize()
        // ~300 small commits: far below SQLite's own automatic checkpoint (1000 pages), so only
        // the store's background checkpoint moves them from the log into the database file.
        for t in 0..<300 { try store.append(device: "node-9", time: 1_700_000_000 + Double(t), measurements: Self.measurements) }
        let deadline = Date().addingTimeInterval(10)
        while fileSize() < empty + 40_000, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(fileSize() >= empty + 40_000, "database file \(fileSize()) bytes, \(empty) when empty")
        #expect(try store.count() == 300)
    }

    @Test func editedRowsAreReportedAsCorruptNotReturned() throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        do {
            let store = try ReadingsStore(path: path, masterKey: key)
            for t in 0..<3 { try store.append(device: "node-9", time: 1_700_000_000 + Double(t), measurements: Self.measurements) }
            try store.append(device: "node-8", time: 1_700_000_000, measurements: Self.measurements)
        }
        // Edit with the sqlite3 shell: flip a ciphertext byte in row 1, move row 2 to node-8's
        // time, and hand node-8's content to node-9's row 3.
        let sql = """
            UPDATE readings SET content = substr(content, 1, 5) || X'FF' || substr(content, 7) WHERE id = 1;
            UPDATE readings SET time = time + 3600 WHERE id = 2;
            UPDATE readings SET content = (SELECT content FROM readings WHERE id = 4), nonce = (SELECT nonce FROM readings WHERE id = 4) WHERE id = 3;
            """
        let shell = try ChildProcess("/usr/bin/sqlite3", [path, sql]).waitBlocking()
        #expect(shell == 0)
        let store = try ReadingsStore(path: path, masterKey: key)
        let result = try store.readings(device: "node-9")
        #expect(result.readings.isEmpty, "no edited row is returned")
        #expect(result.corruptRows == 3)
        #expect(try store.readings(device: "node-8").readings.count == 1, "untouched rows still read")
    }

    @Test func aWrongMasterKeyRefusesToOpenAndChangesNothing() throws {
        let path = try Self.temporaryPath()
        do {
            let store = try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32))
            try store.append(device: "node-9", time: 1, measurements: Self.measurements)
        }
        let before = Self.storeBytes(path)
        #expect(throws: GatewayError.self) { try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32)) }
        do {
            _ = try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32))
        } catch let error as GatewayError {
            #expect(error.message.contains("master key does not match"))
        }
        #expect(Self.storeBytes(path).count >= before.count - 32_768, "nothing was rewritten")
    }

    @Test func rekeyUnderLoadLosesNoReading() async throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        let store = try ReadingsStore(path: path, masterKey: key)
        for i in 0..<600 { try store.append(device: "node-9", time: Double(i), measurements: Self.measurements) }
        let writer = Task.detached {
            for i in 600..<900 { try store.append(device: "node-9", time: Double(i), measurements: Self.measurements) }
        }
        let moved = try await Task.detached { try store.rekey(batchSize: 100) }.value
        try await writer.value
        #expect(moved >= 600)
        let all = try store.readings(device: "node-9", limit: 1000)
        #expect(all.readings.count == 900 && all.corruptRows == 0)
        // And after reopening (the new data key is stored wrapped).
        let reopened = try ReadingsStore(path: path, masterKey: key)
        #expect(try reopened.readings(device: "node-9", limit: 1000).readings.count == 900)
    }
}

extension ReadingsStoreTests {
    /// What a query should return, from a list of (id, device, time) in arrival order: the newest
    /// `limit` by (time, id) from `since` on, oldest first.
    static func expected(_ rows: [(id: Int64, device: String, time: Double)], device: String, since: Double, limit: Int) -> [Int64] {
        let mine = rows.filter { $0.device == device && $0.time >= since }
            .sorted { $0.time != $1.time ? $0.time > $1.time : $0.id > $1.id }
        return mine.prefix(limit).reversed().map(\.id)
    }

    /// Queries read the bulk-indexed rows and the unindexed tail as one: across the boundary,
    /// with `since` and `limit`, with a clock that stepped back, and after a restart.
    @Test func queriesSeeIndexedAndUnindexedRowsAlike() throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        let devices = ["node-1", "node-2", "node-3"]
        var rows: [(id: Int64, device: String, time: Double)] = []
        func check(_ store: ReadingsStore, _ note: String) throws {
            for device in devices + ["node-none"] {
                for (since, limit) in [(-1.0, 100), (-1.0, 1000), (2_000.0, 1000), (2_400.0, 7), (2_595.0, 50), (9_999.0, 5)] {
                    let got = try store.readings(device: device, since: since, limit: limit)
                    #expect(got.corruptRows == 0)
                    #expect(got.readings.map(\.id) == Self.expected(rows, device: device, since: since, limit: limit),
                            "\(note): \(device) since \(since) limit \(limit)")
                }
            }
        }
        do {
            let store = try ReadingsStore(path: path, masterKey: key)
            #expect(try store.total() == 0)
            // 2,600 readings in batches of 40: the index is brought up twice (at ~1,024 and
            // ~2,048 rows); the last ~550 are only in the tail.
            var time = 0.0
            for batch in 0..<65 {
                var news: [ReadingsStore.NewReading] = []
                for i in 0..<40 {
                    time += 1
                    // The clock steps back an hour once, in the tail and in the indexed part.
                    let at = (batch == 10 || batch == 60) && i == 5 ? time - 3_600 : time
                    news.append(.init(device: devices[(batch + i) % 3], time: at, measurements: Self.measurements))
                }
                let ids = try store.append(news)
                rows += zip(ids, news).map { (id: $0, device: $1.device, time: $1.time) }
            }
            try check(store, "before restart")
            #expect(try store.total() == 2_600 && store.count() == 2_600 && store.committedTotal == 2_600)
        }
        let reopened = try ReadingsStore(path: path, masterKey: key)
        #expect(reopened.committedTotal == 2_600)
        try check(reopened, "after restart")
        try reopened.append(device: "node-2", time: 5_000, measurements: Self.measurements)
        rows.append((id: 2_601, device: "node-2", time: 5_000))
        try check(reopened, "after restart and one more")
    }

    /// Rekeying walks past rows it cannot open: a whole batch of edited rows does not end it.
    @Test func rekeyGoesPastABatchOfCorruptRows() throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        do {
            let store = try ReadingsStore(path: path, masterKey: key)
            for t in 0..<30 { try store.append(device: "node-9", time: Double(t), measurements: Self.measurements) }
        }
        let edit = "UPDATE readings SET content = substr(content, 1, 5) || X'FF' || substr(content, 7) WHERE id <= 10;"
        #expect(try ChildProcess("/usr/bin/sqlite3", [path, edit]).waitBlocking() == 0)
        let store = try ReadingsStore(path: path, masterKey: key)
        #expect(try store.rekey(batchSize: 10) == 20)
        let after = try store.readings(device: "node-9", limit: 100)
        #expect(after.readings.map(\.id) == Array(11...30))
        #expect(after.corruptRows == 10)
        #expect(try store.rekey(batchSize: 7) == 20, "a second rekey moves every good row again")
    }

    /// A store written by the first schema (per-row (device, time) index) is indexed in bulk on
    /// first open, and its readings read the same.
    @Test func aFirstSchemaStoreIsMigratedAndReadsTheSame() throws {
        let path = try Self.temporaryPath()
        let key = try SecureBytes.random(count: 32)
        var before: [Int64] = []
        do {
            let store = try ReadingsStore(path: path, masterKey: key)
            for t in 0..<30 { try store.append(device: t % 2 == 0 ? "node-9" : "node-8", time: Double(t), measurements: Self.measurements) }
            before = try store.readings(device: "node-9", since: 10, limit: 100).readings.map(\.id)
        }
        // Back to the first schema, as a store from before the bulk index was.
        let downgrade = """
            DROP TABLE readings_by_device; DROP TABLE index_state;
            CREATE INDEX readings_by_device_time ON readings (device, time);
            DELETE FROM grdb_migrations WHERE identifier = 'v2-bulk-device-index';
            """
        #expect(try ChildProcess("/usr/bin/sqlite3", [path, downgrade]).waitBlocking() == 0)
        let store = try ReadingsStore(path: path, masterKey: key)
        #expect(try store.readings(device: "node-9", since: 10, limit: 100).readings.map(\.id) == before)
        #expect(before == Array(stride(from: 11, through: 29, by: 2)))
        try store.append(device: "node-9", time: 30, measurements: Self.measurements)
        #expect(try store.readings(device: "node-9", since: 28, limit: 100).readings.map(\.id) == [29, 31])
    }
}
