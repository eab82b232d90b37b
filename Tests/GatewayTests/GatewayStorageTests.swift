import CoAP
import Foundation
@testable import Gateway
import LibCrypto
import Logging
import Sealing
import SenML
import Testing
import TestSupport

/// What the gateway does with its files when they do not check out at start: a missing, empty or
/// restored readings store, a crash between a group's two commits, a second gateway on the same
/// data, a full disk. Replay protection must survive all of them.
@Suite(.serialized, .timeLimit(.minutes(2 * TestSupport.timeScale))) struct GatewayStorageTests {
    /// Another gateway on the fixture's data, directory and master key.
    private func restart(_ f: GatewayFixture, recovery: StorageRecovery = []) throws -> Gateway {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dtlsPort = 0
        configuration.recovery = recovery
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .critical
        let gateway = try Gateway(
            configuration: configuration, directory: f.directory, readingsPath: f.readingsPath, masterKey: f.masterKey, logger: logger)
        try gateway.start()
        return gateway
    }

    private func post(_ sealed: [UInt8], to gateway: Gateway) async throws -> CoAPResponse {
        let client = try CoAPClient()
        defer { client.shutdown() }
        return try await client.post("coap://127.0.0.1:\(gateway.port!)/readings", payload: sealed, contentFormat: .coseEncrypt0)
    }

    private func removeReadings(_ f: GatewayFixture) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: f.readingsPath + suffix) }
    }

    private func expectRefusal(_ f: GatewayFixture, mentioning text: String, recovery: StorageRecovery = []) {
        do {
            let started = try restart(f, recovery: recovery)
            started.shutdown()
            Issue.record("the gateway started; it should have refused (\(text))")
        } catch {
            #expect("\(error)".contains(text), "\(error)")
        }
    }

    @Test func aMissingOrEmptyReadingsStoreIsRefusedAndANewOneKeepsReplaysOut() async throws {
        let f = try GatewayFixture()
        defer { f.removeData() }
        let captured = try f.sealer("node-1").seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await post(captured, to: f.gateway).code == .created)
        f.gateway.shutdown()

        removeReadings(f)
        expectRefusal(f, mentioning: "missing or empty")
        _ = FileManager.default.createFile(atPath: f.readingsPath, contents: Data())
        expectRefusal(f, mentioning: "missing or empty")

        // Started afresh on purpose: the replay state is kept, so the old message stays refused.
        let fresh = try restart(f, recovery: .startNewReadingsStore)
        defer { fresh.shutdown() }
        let replayed = try await post(captured, to: fresh)
        #expect(replayed.code == .unauthorized && replayed.text.contains("replayed"), "\(replayed.code) \(replayed.text)")
        let next = try f.sealer("node-1", startingAt: 1).seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await post(next, to: fresh).code == .created)
    }

    @Test func anOlderReadingsStoreIsRefusedAndItsReplaysStayRefused() async throws {
        let f = try GatewayFixture()
        defer { f.removeData() }
        let sealer = try f.sealer("node-1")
        let first = try sealer.seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await post(first, to: f.gateway).code == .created)
        f.gateway.shutdown()
        // A backup of the readings store, then more readings.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: f.readingsPath + suffix) {
            try FileManager.default.copyItem(atPath: f.readingsPath + suffix, toPath: f.readingsPath + suffix + ".backup")
        }
        let second = try restart(f)
        let later = try sealer.seal(GatewayFixture.reading("node-1", temperature: 30), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await post(later, to: second).code == .created)
        second.shutdown()
        // The backup restored.
        removeReadings(f)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: f.readingsPath + suffix + ".backup") {
            try FileManager.default.moveItem(atPath: f.readingsPath + suffix + ".backup", toPath: f.readingsPath + suffix)
        }
        expectRefusal(f, mentioning: "older than its replay state")

        let restored = try restart(f, recovery: .acceptRestoredReadings)
        defer { restored.shutdown() }
        #expect(try restored.store.readings(device: "node-1").readings.count == 1, "the backup's readings")
        let replayed = try await post(later, to: restored)
        #expect(replayed.code == .unauthorized, "a message accepted after the backup is still a replay: \(replayed.code) \(replayed.text)")
    }

    @Test func aCrashBetweenAGroupsTwoCommitsIsMadeGoodAtTheNextStart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/readings.db", key = try SecureBytes.random(count: 32)
        let logger = Logger(label: "test")
        do {
            let storage = try GatewayStorage(readingsPath: path, masterKey: key, durability: .processCrash, recovery: [], logger: logger)
            storage.close()
        }
        // The readings (and their copy of the window) committed; the replay state's commit lost.
        var window = ReplayWindow()
        window.record(5)
        let readings = try ReadingsStore(path: path, masterKey: key)
        try readings.append(device: "node-1", time: 1, measurements: [SenMLMeasurement(name: "node-1/t", value: 1, time: 1)],
                            replay: ([0x07], window))
        let storage = try GatewayStorage(readingsPath: path, masterKey: key, durability: .processCrash, recovery: [], logger: logger)
        defer { storage.close() }
        #expect(try storage.replay.windows()[[0x07]]?.isFresh(5) == false)
        #expect(try storage.replay.binding()?.commits == 1)
    }

    @Test func aSecondGatewayOnTheSameDataRefusesToStart() throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        expectRefusal(f, mentioning: "another gateway uses the readings store")
    }

    static let canMountTmpfs: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe)
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "needs to mount a small tmpfs (root)"))
    func aFullDiskIsRefusedWithMaxAgeShownByHealthAndRecoveredFrom() async throws {
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(mount("tmpfs", mountPoint, "tmpfs", 0, "size=4m") == 0)
        defer {
            umount(mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let f = try GatewayFixture(dataDirectory: mountPoint + "/data")
        defer { f.gateway.shutdown() }
        let client = try CoAPClient()
        defer { client.shutdown() }
        let sealer = try f.sealer("node-1")
        // Fill the file system but for a little.
        let filler = mountPoint + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        while (try? handle.write(contentsOf: Data(count: 64 * 1024))) != nil, (HealthProbe.freeBytes(near: filler) ?? 0) > 64 * 1024 {}
        try handle.close()
        var refused: CoAPResponse?
        var acknowledged = 0
        for i in 0..<2000 {
            let sealed = try sealer.seal(GatewayFixture.reading("node-1", temperature: Double(i)), contentFormat: ContentFormat.senmlCBOR.rawValue)
            let answer = try await client.post("\(f.plain)/readings", payload: sealed, contentFormat: .coseEncrypt0)
            if answer.code == .created { acknowledged += 1; continue }
            refused = answer
            break
        }
        let full = try #require(refused, "the store never filled")
        print("full disk: \(acknowledged) readings acknowledged before the refusal: \(full.code), Max-Age \(full.options.maxAge.map(String.init) ?? "-")")
        #expect(full.code == .serviceUnavailable && full.options.maxAge != nil, "\(full.code) \(full.text)")
        let health = try await client.get("\(f.plain)/health").text
        #expect(health.contains("\"status\":\"degraded\"") && health.contains("\"store\":\"full\""), "\(health)")
        // Space back: ingestion goes on (a client retries a 5.03, as its Max-Age tells it; here
        // sooner), and nothing acknowledged was lost.
        try FileManager.default.removeItem(atPath: filler)
        let after = try sealer.seal(GatewayFixture.reading("node-1", temperature: -1), contentFormat: ContentFormat.senmlCBOR.rawValue)
        var retries: [String] = []
        for _ in 0..<20 {
            let answer = try await client.post("\(f.plain)/readings", payload: after, contentFormat: .coseEncrypt0)
            if answer.code == .created { break }
            retries.append("\(answer.code) \(answer.text)")
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(retries.count < 20, "never stored once space was back: \(retries.suffix(3))")
        if !retries.isEmpty { print("full disk: stored after \(retries.count) refusals once space was back: \(retries.first!)") }
        #expect(try f.gateway.store.readings(device: "node-1", limit: 1000).readings.count == acknowledged + 1)
        var healthy = ""
        for _ in 0..<50 {
            healthy = try await client.get("\(f.plain)/health").text
            if healthy.contains("\"status\":\"ok\"") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(healthy.contains("\"status\":\"ok\""), "\(healthy)")
    }
}
