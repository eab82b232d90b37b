import CBOR
import Foundation
import SenML
import Testing

@Suite("SenML") struct SenMLPackTests {
    /// RFC 8428 §5.1.2: multiple data points, base name and base time.
    let rfcJSON = #"[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320067464e+09,"bu":"%RH","v":20},{"u":"lon","v":24.30621},{"u":"lat","v":60.07965},{"t":60,"v":20.3},{"u":"lon","t":60,"v":24.30622},{"u":"lat","t":60,"v":60.07965},{"t":120,"v":20.7},{"u":"lon","t":120,"v":24.30623},{"u":"lat","t":120,"v":60.07966},{"u":"%EL","t":150,"v":98},{"t":180,"v":21.2},{"u":"lon","t":180,"v":24.30628},{"u":"lat","t":180,"v":60.07967}]"#

    @Test func resolvesTheRFCExample() throws {
        let pack = try SenMLPack(json: Array(rfcJSON.utf8))
        #expect(pack.records.count == 13)
        let m = try pack.resolved(now: 0)
        #expect(m.count == 13)
        #expect(m[0].name == "urn:dev:ow:10e2073a01080063:" && m[0].unit == "%RH" && m[0].value == 20 && m[0].time == 1_320_067_464)
        #expect(m[3].time == 1_320_067_524 && m[3].value == 20.3)
        #expect(m[1].unit == "lon")
    }

    @Test func jsonAndCBORRoundTrip() throws {
        let pack = SenMLPack([
            SenMLRecord(baseName: "node-7/", baseTime: 1_700_000_000, baseSum: 0.5, name: "temp", unit: "Cel", value: 21.5),
            SenMLRecord(name: "door", boolValue: true, time: 1),
            SenMLRecord(name: "label", stringValue: "kitchen \"west\""),
            SenMLRecord(name: "blob", dataValue: [0, 1, 2, 255]),
        ])
        #expect(try SenMLPack(json: pack.json()) == pack)
        #expect(try SenMLPack(cbor: pack.cbor()) == pack)
        // RFC 8428 §6: integer labels; n = 0, v = 2, bn = -2.
        let item = try CBOR(decoding: pack.cbor())
        guard case .array(let records) = item, case .map(let first) = records[0] else { Issue.record("not an array of maps"); return }
        #expect(first.contains { $0.key == .int(-2) && $0.value == .textString("node-7/") })
        #expect(first.contains { $0.key == .int(2) && $0.value == .float(21.5) })
    }

    /// `cbor()` writes map keys itself: its bytes must be the deterministic encoding (RFC 8949
    /// §4.2.1) that the generic CBOR writer, which sorts keys, gives for the same items.
    @Test func cborIsTheDeterministicEncodingOfEveryField() throws {
        let pack = SenMLPack([
            SenMLRecord(baseName: "dev-1/", baseTime: 1_700_000_000.5, baseUnit: "Cel", baseValue: 0.25, baseSum: -1.5,
                        name: "t", unit: "K", value: -3, stringValue: nil, boolValue: nil, dataValue: nil, sum: 12.75, time: -60),
            SenMLRecord(name: "flag", boolValue: false, time: 1e300),
            SenMLRecord(name: "s", stringValue: "ü", sum: 1),
            SenMLRecord(name: "d", dataValue: Array(repeating: 7, count: 30), time: 0.1),
            SenMLRecord(),
            SenMLRecord(baseName: "only-base:"),
        ])
        let fast = pack.cbor()
        #expect(try CBOR(decoding: fast).encoded() == fast)
        #expect(try SenMLPack(cbor: fast) == pack)
        // Every field in its place: the first record's keys, in order.
        guard case .array(let records) = try CBOR(decoding: fast), case .map(let first) = records[0] else {
            Issue.record("not an array of maps")
            return
        }
        #expect(first.map(\.key) == [0, 1, 2, 5, 6, -2, -3, -4, -5, -6].map { CBOR.int($0) })
    }

    /// Measurements are encoded without intermediate records, to the same bytes.
    @Test func measurementsEncodeAsTheirRecordsDo() throws {
        let measurements = [
            SenMLMeasurement(name: "dev-1/t", unit: "K", value: -3, sum: 12.75, time: 1_700_000_000.5),
            SenMLMeasurement(name: "dev-1/flag", boolValue: false, time: 1e300),
            SenMLMeasurement(name: "dev-1:s", stringValue: "ü", sum: 1, time: 17),
            SenMLMeasurement(name: "d", dataValue: Array(repeating: 7, count: 30), time: 0.1),
            SenMLMeasurement(name: "all", unit: "V", value: 3.3, stringValue: "x", boolValue: true, dataValue: [1], sum: 2, time: 1),
        ]
        #expect(SenMLPack.cbor(measurements) == SenMLPack(measurements.map(\.record)).cbor())
        #expect(SenMLPack.cbor([]) == SenMLPack([]).cbor())
        // Those a reading may hold (one value, a time before year 10000) resolve back to themselves.
        let valid = measurements.filter { $0.time < 1e12 && $0.name != "all" }
        #expect(valid.count == 3)
        #expect(try SenMLPack(cbor: SenMLPack.cbor(valid)).resolved(now: 0) == valid)
    }

    @Test func cborIsCompactForAThreeValueReading() throws {
        let pack = SenMLPack([
            SenMLRecord(baseName: "n7/", name: "t", value: 21.5),
            SenMLRecord(name: "h", value: 40),
            SenMLRecord(name: "p", value: 1013),
        ])
        #expect(pack.cbor().count < pack.json().count)
        #expect(pack.cbor().count <= 32, "\(pack.cbor().count) bytes")
    }

    @Test func hostileOrInvalidInputIsRefused() {
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array("{}".utf8)) }
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array("[{\"v\":\"x\"}]".utf8)) }
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array("[{\"vb\":1}]".utf8)) }
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array("[1,2".utf8)) }
        let many = "[" + Array(repeating: "{\"n\":\"a\",\"v\":1}", count: 300).joined(separator: ",") + "]"
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array(many.utf8)) }
        #expect(throws: SenMLError.self) { try SenMLPack(cbor: [0xA0]) }
        #expect(throws: SenMLError.self) { try SenMLPack(cbor: [0x9F, 0x9F, 0x9F]) }
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array("[{\"n\":\" bad name\",\"v\":1}]".utf8)).resolved() }
        for _ in 0..<200 {
            let junk = (0..<Int.random(in: 0...64)).map { _ in UInt8.random(in: 0...255) }
            _ = try? SenMLPack(cbor: junk)
            _ = try? SenMLPack(json: junk)
        }
    }
}
