import CBOR
import SenML
import Testing

/// SenML CBOR integers run from −2⁶⁴ to 2⁶⁴ − 1, and a double holds only some of them exactly.
/// Each must become the double equal to it, or the pack is refused: never another number.
@Suite("SenML CBOR integers") struct SenMLIntegerTests {
    /// Integers that a double holds exactly, with that double.
    static let exact: [(CBOR, Double)] = [
        (.unsignedInt(1 << 63), 9_223_372_036_854_775_808),  // 2⁶³
        (.unsignedInt(UInt64.max - 2047), 18_446_744_073_709_549_568),  // 2⁶⁴ − 2¹¹, the largest double below 2⁶⁴
        (.negativeInt(UInt64.max), -18_446_744_073_709_551_616),  // −2⁶⁴
        (.negativeInt((1 << 63) - 1), -9_223_372_036_854_775_808),  // −2⁶³
        (.unsignedInt(1 << 53), 9_007_199_254_740_992),  // 2⁵³
        (.negativeInt((1 << 53) - 1), -9_007_199_254_740_992),  // −2⁵³
    ]

    /// Integers that no double equals.
    static let inexact: [CBOR] = [
        .unsignedInt(UInt64.max),  // 2⁶⁴ − 1
        .unsignedInt((1 << 63) + 1),  // 2⁶³ + 1
        .negativeInt(1 << 63),  // −2⁶³ − 1
        .negativeInt(UInt64.max - 1),  // −2⁶⁴ + 1
        .unsignedInt((1 << 53) + 1),  // 2⁵³ + 1
        .negativeInt(1 << 53),  // −2⁵³ − 1
    ]

    /// Where each numeric label's number ends up: v, s, t, bt, bv, and bs (added to the sum).
    static let fields: [Int64: @Sendable (SenMLPack) throws -> Double?] = [
        2: { $0.records.first?.value },
        5: { $0.records.first?.sum },
        6: { $0.records.first?.time },
        -3: { $0.records.first?.baseTime },
        -5: { $0.records.first?.baseValue },
        -6: { try $0.resolved(now: 1_700_000_000).first?.sum },
    ]

    /// `[{0: "x", label: number}]`.
    static func pack(_ label: Int64, _ number: CBOR) -> [UInt8] {
        CBOR.array([.map([.init(key: 0, value: "x"), .init(key: .int(label), value: number)])]).encoded()
    }

    @Test(arguments: [2, 5, 6, -3, -5, -6] as [Int64])
    func integersADoubleHoldsBecomeThatDoubleInEveryNumericField(_ label: Int64) throws {
        let field = try #require(Self.fields[label])
        for (integer, double) in Self.exact {
            let pack = try SenMLPack(cbor: Self.pack(label, integer))
            #expect(try field(pack) == double, "label \(label), \(integer)")
        }
    }

    @Test(arguments: [2, 5, 6, -3, -5, -6, 7] as [Int64])
    func integersNoDoubleEqualsAreRefusedInEveryNumericField(_ label: Int64) {
        for integer in Self.inexact {
            let error = #expect(throws: SenMLError.self, "label \(label), \(integer)") { try SenMLPack(cbor: Self.pack(label, integer)) }
            #expect(error?.code == .invalidRecord)
            #expect(error?.message.contains("no double equals") == true, "\(error?.message ?? "")")
        }
    }
}
