import CBOR
import CoAP
import Foundation
import LibCrypto
@testable import Node
import Platform
import Sealing
import SenML
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("Offline queue at rest: sealed, crash-safe, bounded", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct QueueAtRestTests {
    /// Distinctive readings: nothing else in the data directory could hold these bytes by chance.
    static let secretReading = [
        SenMLRecord(name: "zanzibar_temp", unit: "quxel", value: 23.4567),
        SenMLRecord(name: "vault_code", stringValue: "confidential-token-81"),
    ]

    /// Every form in which a name, value or unit could sit in a file: text, CBOR items, the
    /// SenML CBOR and JSON of the records, and all of those as lowercase and uppercase hex.
    static var needles: [(label: String, bytes: [UInt8])] {
        var forms: [(String, [UInt8])] = []
        for text in ["zanzibar_temp", "quxel", "vault_code", "confidential-token-81"] {
            forms.append(("text \(text)", Array(text.utf8)))
            forms.append(("CBOR text \(text)", CBOR.textString(text).encoded()))
        }
        forms.append(("text 23.4567", Array("23.4567".utf8)))
        forms.append(("CBOR float 23.4567", CBOR.float(23.4567).encoded()))
        forms.append(("float64 bits", withUnsafeBytes(of: (23.4567).bitPattern.bigEndian) { Array($0) }))
        forms.append(("SenML CBOR record", SenMLPack([secretReading[0]]).cbor().dropFirst().map { $0 }))
        forms.append(("SenML JSON", SenMLPack(secretReading).json()))
        for (label, bytes) in forms {
            forms.append(("hex of \(label)", Array(Hex.encode(bytes).utf8)))
            forms.append(("HEX of \(label)", Array(Hex.encode(bytes).uppercased().utf8)))
        }
        return forms
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    @Test("the data directory of a node whose gateway is down reveals no name, value or unit")
    func noReadingsAtRest() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration())
        for _ in 0..<3 { try await reporter.report(Self.secretReading) }
        #expect(await reporter.status.queued == 3)
        await reporter.shutdown()

        let files = try TemporaryDirectory.files(in: fixture.dataDirectory)
        #expect(files.filter { $0.path.hasSuffix(".entry") }.count == 3, "the readings are on disk")
        // The search itself can fail: it finds every needle in the readings' plain encodings.
        let plain = SenMLPack(Self.secretReading).cbor() + SenMLPack(Self.secretReading).json()
        let plainWithHex = plain + Array(Hex.encode(plain).utf8) + Array(Hex.encode(plain).uppercased().utf8)
        for needle in Self.needles {
            #expect(Self.contains(plainWithHex, needle.bytes), "control: \(needle.label)")
        }
        for file in files {
            for needle in Self.needles {
                #expect(!Self.contains(file.bytes, needle.bytes), "\(needle.label) found in \(file.path)")
            }
        }

        // They are the readings, though: the next run recovers and delivers them.
        try fixture.gateway.start()
        let next = try fixture.reporter(fixture.configuration())
        _ = await next.flush(timeout: .seconds(30))
        await next.shutdown()
        #expect(fixture.gateway.records.filter { $0.name == "zanzibar_temp" }.map(\.value) == [23.4567, 23.4567, 23.4567])
        #expect(fixture.gateway.records.filter { $0.name == "vault_code" }.map(\.unit) == [nil, nil, nil])
    }

    @Test("a torn last entry and an interrupted write are skipped and counted; the rest is delivered in order")
    func tornEntries() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        do {
            let reporter = try fixture.reporter(fixture.configuration(secure: false))
            for i in 0..<3 { try await reporter.report(threeValues(i)) }
            await reporter.shutdown()
        }
        let queueDirectory = fixture.dataDirectory + "/queue"
        let entries = try FileManager.default.contentsOfDirectory(atPath: queueDirectory).filter { $0.hasSuffix(".entry") }.sorted()
        #expect(entries.count == 3)
        let last = try queueDirectory + "/" + #require(entries.last)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: last)[.size] as? Int)
        #expect(truncate(last, off_t(size / 2)) == 0)  // a crash mid-write, without the rename's protection
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: queueDirectory + "/00000000000000ff.entry.tmp"))

        try fixture.gateway.start()
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        let recovered = await reporter.status
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(recovered.queued == 2)
        #expect(recovered.counters.corrupt == 2)
        #expect(temperatures(fixture.gateway) == [20, 20.25])
        #expect(!FileManager.default.fileExists(atPath: queueDirectory + "/00000000000000ff.entry.tmp"))
    }

    @Test("entries moved to another place in the queue, or altered, are detected")
    func movedEntries() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        do {
            let reporter = try fixture.reporter(fixture.configuration(secure: false))
            for i in 0..<3 { try await reporter.report(threeValues(i)) }
            await reporter.shutdown()
        }
        let queueDirectory = fixture.dataDirectory + "/queue"
        let entries = try FileManager.default.contentsOfDirectory(atPath: queueDirectory).filter { $0.hasSuffix(".entry") }.sorted()
        // Swap the first two (reordering the queue); flip one bit of the third.
        let (a, b, c) = (queueDirectory + "/" + entries[0], queueDirectory + "/" + entries[1], queueDirectory + "/" + entries[2])
        #expect(rename(a, a + ".x") == 0 && rename(b, a) == 0 && rename(a + ".x", b) == 0)
        var third = Array(try Data(contentsOf: URL(fileURLWithPath: c)))
        third[third.count - 1] ^= 0x01
        try Data(third).write(to: URL(fileURLWithPath: c))

        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        let status = await reporter.status
        await reporter.shutdown()
        #expect(status.queued == 0)
        #expect(status.counters.corrupt == 3)
    }

    @Test("a full queue drops its oldest readings, counted across restarts")
    func dropOldest() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var configuration = try fixture.configuration(secure: false)
        configuration.queueCapacity = 3
        do {
            let reporter = try fixture.reporter(configuration)
            for i in 0..<5 { try await reporter.report(threeValues(i)) }
            let status = await reporter.status
            #expect(status.queued == 3)
            #expect(status.counters.dropped == 2)
            await reporter.shutdown()
        }
        try fixture.gateway.start()
        let reporter = try fixture.reporter(configuration)
        #expect(await reporter.status.counters.dropped == 2)
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20.5, 20.75, 21])
    }

    @Test("the oldest reading dropped while it is in flight: its acknowledgement does not remove newer readings")
    func dropWhileInFlight() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        // Reading 0 stays unanswered until the two reports below have landed, and is sent once.
        fixture.gateway.setMode(.held)
        var configuration = try fixture.configuration(secure: false)
        configuration.queueCapacity = 2
        configuration.requestTimeout = .seconds(60)
        let reporter = try fixture.reporter(configuration)
        let first = Task { try await reporter.report(threeValues(0)) }
        #expect(await TestSupport.eventually(timeout: 20) { fixture.gateway.arrivalCount == 1 })
        try await reporter.report(threeValues(1))  // queued behind the message in flight
        try await reporter.report(threeValues(2))  // full: drops reading 0, which is in flight
        #expect(await reporter.status.counters.dropped == 1)
        fixture.gateway.setMode(.accept)
        _ = try await first.value
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])  // 0 had been sent; 1 and 2 were not lost
    }

    @Test("a full queue with the refuse-new policy refuses new readings and keeps the old ones")
    func refuseNew() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var configuration = try fixture.configuration(secure: false)
        configuration.queueCapacity = 3
        configuration.overflowPolicy = .refuseNew
        let reporter = try fixture.reporter(configuration)
        for i in 0..<3 { try await reporter.report(threeValues(i)) }
        await #expect(throws: NodeError.self) { try await reporter.report(threeValues(3)) }
        #expect(await reporter.status.counters.refused == 1)
        try fixture.gateway.start()
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
    }

    @Test("a full disk: a clear error, the reading is held in memory and still delivered in order")
    func fullDisk() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let storage = try FullDiskStorage(directory: fixture.dataDirectory + "/queue")
        let reporter = try NodeReporter(
            configuration: fixture.configuration(secure: false), logger: NodeFixture.quietLogger, storage: storage)
        try await reporter.report(threeValues(0))
        storage.isFull.update { $0 = true }
        let report = try await reporter.report(threeValues(1))
        #expect(report.keptInMemoryOnly)
        let status = await reporter.status
        #expect(status.queued == 2)
        #expect(status.queuedInMemoryOnly == 1)
        #expect(status.storageError?.contains("disk full") == true)

        storage.isFull.update { $0 = false }
        try await reporter.report(threeValues(2))
        #expect(await reporter.status.storageError == nil)
        try fixture.gateway.start()
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
    }
}

/// A directory storage whose writes fail with ENOSPC while `isFull` is set.
final class FullDiskStorage: QueueStorage {
    let base: DirectoryQueueStorage
    let isFull = TestLocked(false)

    init(directory: String) throws { base = try DirectoryQueueStorage(directory: directory) }

    func recover() throws -> (ids: [UInt64], interruptedWrites: Int) { try base.recover() }
    func read(id: UInt64) throws -> [UInt8]? { try base.read(id: id) }
    func remove(ids: [UInt64]) throws { try base.remove(ids: ids) }
    func loadCounters() throws -> QueueCounters { try base.loadCounters() }
    func saveCounters(_ counters: QueueCounters) throws { try base.saveCounters(counters) }

    func write(id: UInt64, bytes: [UInt8]) throws {
        if isFull.get() {
            throw NodeError(FileError(action: "cannot write queue entry", path: String(id), code: ENOSPC))
        }
        try base.write(id: id, bytes: bytes)
    }
}

extension TemporaryDirectory {
    static func files(in path: String) throws -> [(path: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        while let relative = walker.nextObject() as? String {
            let full = path + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                out.append((full, Array(try Data(contentsOf: URL(fileURLWithPath: full)))))
            }
        }
        return out
    }
}
