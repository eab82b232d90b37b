@testable import Node
import SenML
import Testing

@Suite("Wire packs")
struct WirePackTests {
    @Test("a reading is normalized: base fields resolved, the device prefix stripped, times absolute")
    func normalization() throws {
        let reading = try QueuedReading(
            records: [
                SenMLRecord(baseName: "node-7/", baseTime: 0, baseUnit: "Cel", name: "in", value: 20),
                SenMLRecord(name: "out", value: 5, time: -60),
            ],
            takenAt: 1_700_000_000, deviceID: "node-7")
        #expect(reading.records == [
            SenMLRecord(name: "in", unit: "Cel", value: 20, time: 1_700_000_000),
            SenMLRecord(name: "out", unit: "Cel", value: 5, time: 1_699_999_940),
        ])
        #expect(QueuedReading(storageForm: reading.storageForm()) == reading)
        #expect(reading.storageForm().count % QueuedReading.paddingQuantum == 0)
    }

    @Test("fresh readings travel without times; readings that waited get one base time and small offsets")
    func times() throws {
        let a = try QueuedReading(records: [SenMLRecord(name: "t", value: 1)], takenAt: 1_700_000_000.4, deviceID: "d")
        let b = try QueuedReading(records: [SenMLRecord(name: "t", value: 2)], takenAt: 1_700_000_030.2, deviceID: "d")
        let fresh = WirePack(readings: [b], now: 1_700_000_030.5, deviceID: "d", includeBaseName: false)
        #expect(fresh.records == [SenMLRecord(name: "t", value: 2)])
        let waited = WirePack(readings: [a, b], now: 1_700_000_100, deviceID: "d", includeBaseName: true)
        #expect(waited.records == [
            SenMLRecord(baseName: "d/", baseTime: 1_700_000_000, name: "t", value: 1),
            SenMLRecord(name: "t", value: 2, time: 30),
        ])
        let resolved = try SenMLPack(waited.records).resolved(now: 1_700_000_100)
        #expect(resolved.map(\.time) == [1_700_000_000, 1_700_000_030])
        #expect(resolved.map(\.name) == ["d/t", "d/t"])
    }
}
