import CBOR
import SenML
import Testing

/// RFC 8428's rules on labels, in both encodings: unknown labels are ignored unless they are
/// must-understand (§4.4), the version is one this decoder knows and the same for the whole pack
/// (§4.4), and a record has at most one value field (§4.2).
@Suite("SenML labels") struct SenMLLabelRulesTests {
    private func json(_ text: String) -> Result<SenMLPack, SenMLError> {
        Result { () throws(SenMLError) in try SenMLPack(json: Array(text.utf8)) }
    }

    private func cbor(_ records: [CBOR.MapEntry]...) -> Result<SenMLPack, SenMLError> {
        let bytes = CBOR.array(records.map { .map($0) }).encoded()
        return Result { () throws(SenMLError) in try SenMLPack(cbor: bytes) }
    }

    private let name = CBOR.MapEntry(key: 0, value: "t"), value = CBOR.MapEntry(key: 2, value: 1)

    private func refused(_ result: Result<SenMLPack, SenMLError>, containing text: String) -> Bool {
        guard case .failure(let error) = result else { return false }
        return error.code == .invalidRecord && error.message.contains(text)
    }

    @Test func mustUnderstandLabelsAreRefusedAndOtherUnknownLabelsIgnored() throws {
        #expect(refused(json(#"[{"n":"t","v":1,"ext_":1}]"#), containing: "ending in '_'"))
        #expect(refused(json(#"[{"n":"t","v":1},{"n":"u","v":2,"b_":"x"}]"#), containing: "ending in '_'"))
        #expect(refused(cbor([name, value, .init(key: "ext_", value: 1)]), containing: "ending in '_'"))
        // Ignored: unknown labels without the '_', whatever their value, in JSON and CBOR (where
        // extensions have text labels, RFC 8428 §6).
        let plain = SenMLRecord(name: "t", value: 1)
        #expect(try json(#"[{"n":"t","v":1,"ext":{"deep":[1,"_"]},"_x":null}]"#).get().records == [plain])
        #expect(try cbor([name, value, .init(key: "ext", value: [1, 2])]).get().records == [plain])
        #expect(try cbor([name, value, .init(key: 42, value: "x")]).get().records == [plain])
        // A text label spelling an RFC 8428 field is not that field in CBOR: refused, not dropped.
        #expect(refused(cbor([name, .init(key: "v", value: 1)]), containing: "integer"))
    }

    @Test func versionsNewerThan10OrNotPositiveIntegersAreRefused() throws {
        #expect(try json(#"[{"bver":10,"n":"t","v":1},{"n":"u","v":2,"bver":10}]"#).get().records.count == 2)
        #expect(try cbor([.init(key: -1, value: 10), name, value]).get().records.count == 1)
        #expect(try cbor([.init(key: -1, value: 5), name, value]).get().records.count == 1, "an older version")
        for bver in ["11", "1000", "18446744073709551616"] {
            #expect(refused(json(#"[{"bver":"# + bver + #","n":"t","v":1}]"#), containing: "newer than 10"), "\(bver)")
        }
        #expect(refused(cbor([.init(key: -1, value: 11), name, value]), containing: "newer than 10"))
        #expect(refused(cbor([.init(key: -1, value: .unsignedInt(.max)), name, value]), containing: "newer than 10"))
        for bver in ["0", "-1", "9.5", "\"10\"", "true"] {
            #expect(json(#"[{"bver":"# + bver + #","n":"t","v":1}]"#).isFailure, "\(bver)")
        }
        for bver: CBOR in [0, -10, 10.0, "10"] {
            #expect(cbor([.init(key: -1, value: bver), name, value]).isFailure, "\(bver)")
        }
    }

    @Test func everyRecordOfAPackHasTheSameVersion() {
        #expect(refused(json(#"[{"bver":9,"n":"t","v":1},{"bver":10,"n":"u","v":2}]"#), containing: "one SenML version"))
        #expect(refused(json(#"[{"n":"t","v":1},{"bver":9,"n":"u","v":2}]"#), containing: "one SenML version"), "the first record's version is 10")
        #expect(refused(cbor([.init(key: -1, value: 9), name, value], [.init(key: -1, value: 8), name, value]), containing: "one SenML version"))
    }

    @Test func aRecordHasAtMostOneValueFieldAndMayAddASum() throws {
        for pair in [#""v":1,"vs":"x""#, #""v":1,"vb":true"#, #""vs":"x","vd":"AQ""#, #""vb":false,"vd":"AQ""#] {
            #expect(refused(json(#"[{"n":"t","# + pair + "}]"), containing: "more than one"), "\(pair)")
        }
        #expect(refused(cbor([name, value, .init(key: 3, value: "x")]), containing: "more than one"))
        #expect(refused(cbor([name, .init(key: 4, value: true), .init(key: 8, value: .byteString([1]))]), containing: "more than one"))
        #expect(try json(#"[{"n":"t","v":1,"s":2}]"#).get().records == [SenMLRecord(name: "t", value: 1, sum: 2)])
        #expect(try cbor([name, value, .init(key: 5, value: 2)]).get().records == [SenMLRecord(name: "t", value: 1, sum: 2)])
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
