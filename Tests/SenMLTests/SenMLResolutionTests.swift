import CBOR
import SenML
import Testing

/// What a pack must hold to become readings (``SenMLPack/resolved(now:)``, which the gateway
/// applies to every pack it ingests).
@Suite("SenML resolution") struct SenMLResolutionTests {
    static let now = 1_700_000_000.0

    private func resolve(_ json: String) -> Result<[SenMLMeasurement], SenMLError> {
        Result { () throws(SenMLError) in try SenMLPack(json: Array(json.utf8)).resolved(now: Self.now) }
    }

    private func refused(_ json: String, containing text: String = "") -> Bool {
        guard case .failure(let error) = resolve(json) else { return false }
        return error.code == .invalidRecord && (text.isEmpty || error.message.contains(text))
    }

    @Test func anEmptyPackDecodesButIsNotAReading() throws {
        // Decoding `[]` still works: it is what a device with no readings gets back.
        #expect(try SenMLPack(json: Array("[]".utf8)).records.isEmpty)
        #expect(try SenMLPack(cbor: [0x80]).records.isEmpty)
        #expect(refused("[]", containing: "at least one record"))
        #expect(throws: SenMLError.self) { try SenMLPack(cbor: [0x80]).resolved(now: Self.now) }
    }

    @Test func aRecordWithoutAValueOrASumIsRefused() throws {
        for pack in [#"[{"n":"t"}]"#, #"[{"n":"t","t":-5,"u":"Cel"}]"#, #"[{"n":"t","v":1},{"n":"u"}]"#, #"[{"bn":"d/"},{"n":"t","v":1}]"#] {
            #expect(refused(pack, containing: "no value"), "\(pack)")
        }
        // A base value stands for the value of a record without one (RFC 8428 §4.5.4).
        #expect(try resolve(#"[{"bv":5,"n":"t"}]"#).get().map(\.value) == [5])
        #expect(try resolve(#"[{"n":"t","s":2}]"#).get().map(\.sum) == [2])
    }

    @Test func aBaseSumIsAddedToTheSumOfEveryRecordAfterIt() throws {
        let measurements = try resolve(#"[{"bs":100,"n":"e","s":5},{"n":"f","v":1},{"n":"g"}]"#).get()
        #expect(measurements.map(\.sum) == [105, 100, 100])
        #expect(measurements.map(\.value) == [nil, 1, nil])
        let cbor = CBOR.array([.map([.init(key: -6, value: 100), .init(key: 0, value: "e"), .init(key: 5, value: 5)])]).encoded()
        #expect(try SenMLPack(cbor: cbor).resolved(now: Self.now).map(\.sum) == [105])
    }

    @Test func namesWithAnEmptyADotOrADotDotSegmentAreRefused() throws {
        for name in ["dev1/../dev2/t", "dev1//t", "dev1/./t", "dev1/", "dev1/..", "a/."] {
            #expect(refused(#"[{"n":""# + name + #"","v":1}]"#, containing: "segment"), "\(name)")
        }
        #expect(refused(#"[{"bn":"dev1/..","n":"/t","v":1}]"#, containing: "segment"), "assembled from the base name")
        for name in ["dev1/.../t", "dev1/a.b/t", "dev1/t.", "urn:dev:ow:10e2073a01080063:", "a..b"] {
            #expect(try resolve(#"[{"n":""# + name + #"","v":1}]"#).get().map(\.name) == [name])
        }
    }

    @Test func namesOver256BytesAndUnitsOver64BytesAreRefused() throws {
        let name = String(repeating: "n", count: 256), unit = String(repeating: "u", count: 64)
        #expect(try resolve(#"[{"n":""# + name + #"","u":""# + unit + #"","v":1}]"#).get().count == 1)
        #expect(refused(#"[{"bn":"n","n":""# + name + #"","v":1}]"#, containing: "256 bytes"))
        #expect(refused(#"[{"n":"t","u":"u"# + unit + #"","v":1}]"#, containing: "64 bytes"))
        #expect(refused(#"[{"bu":"u"# + unit + #"","n":"t","v":1}]"#, containing: "64 bytes"))
    }

    @Test func timesOutsideYears1970To9999OrTooFarBackAreRefused() throws {
        for fields in [
            #""t":1e300"#, #""bt":1e300,"t":-1e300"#, #""bt":-1e300"#, #""t":253402300800"#, #""bt":253402300000,"t":800"#,
            #""t":-268435456"#, #""bt":-200000000,"t":-100000000"#,
        ] {
            #expect(refused(#"[{"n":"t","v":1,"# + fields + "}]"), "\(fields)")
        }
        #expect(try resolve(#"[{"n":"t","v":1,"t":253402300799}]"#).get().map(\.time) == [253_402_300_799])
        #expect(try resolve(#"[{"n":"t","v":1,"t":268435456}]"#).get().map(\.time) == [268_435_456], "2²⁸ is absolute")
        #expect(try resolve(#"[{"n":"t","v":1,"t":-268435455}]"#).get().map(\.time) == [Self.now - 268_435_455])
        // A relative time must not land before the epoch.
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array(#"[{"n":"t","v":1,"t":-5}]"#.utf8)).resolved(now: 1) }
    }

    @Test func valuesAndSumsThatOverflowWhenResolvedAreRefused() {
        #expect(refused(#"[{"bv":1e308,"n":"t","v":1e308}]"#, containing: "finite"))
        #expect(refused(#"[{"bs":-1e308,"n":"t","s":-1e308}]"#, containing: "finite"))
        #expect(throws: SenMLError.self) { try SenMLPack([SenMLRecord(name: "t", value: .nan)]).resolved(now: Self.now) }
        #expect(throws: SenMLError.self) { try SenMLPack([SenMLRecord(name: "t", value: 1, time: .infinity)]).resolved(now: Self.now) }
    }
}
