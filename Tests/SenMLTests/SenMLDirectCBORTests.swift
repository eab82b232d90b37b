import CBOR
import Foundation
@testable import SenML
import Testing

/// The gateway decodes CBOR packs straight from the bytes when it can (`directRecords`) and
/// through a CBOR tree otherwise. Wherever the direct path answers, it must be the tree's answer.
@Suite("SenML direct CBOR decoding") struct SenMLDirectCBORTests {
    /// The tree's answer, as a comparable value.
    static func tree(_ bytes: [UInt8], maxRecords: Int = SenMLPack.defaultMaxRecords) -> Result<[SenMLRecord], SenMLError> {
        do throws(SenMLError) { return .success(try SenMLPack(cborTree: bytes, maxRecords: maxRecords, limits: .default).records) } catch {
            return .failure(error)
        }
    }

    /// Integers at the edges of what a double holds: exact (2⁵³, 2⁶³, 2⁶⁴ − 2¹¹, −2⁶³, −2⁶⁴).
    static let exactEdges: [CBOR] = [
        .unsignedInt(1 << 53), .unsignedInt(1 << 63), .unsignedInt(UInt64.max - 2047), .negativeInt((1 << 63) - 1), .negativeInt(.max),
    ]
    /// And inexact (2⁵³ + 1, 2⁶³ + 1, 2⁶⁴ − 1, −2⁶³ − 1, −2⁶⁴ + 1).
    static let inexactEdges: [CBOR] = [
        .unsignedInt((1 << 53) + 1), .unsignedInt((1 << 63) + 1), .unsignedInt(.max), .negativeInt(1 << 63), .negativeInt(.max - 1),
    ]

    /// A record with a random subset of the fields (at most one of v, vs, vb, vd, as RFC 8428
    /// allows), as a CBOR map in a random key order, numbers as integers (some at the edges of
    /// what a double holds exactly) or as floats of any width the encoder picks.
    static func randomRecord<G: RandomNumberGenerator>(_ rng: inout G) -> CBOR {
        var entries: [CBOR.MapEntry] = []
        func add(_ label: Int64, _ value: CBOR) {
            guard Bool.random(using: &rng) else { return }
            entries.append(CBOR.MapEntry(key: .int(label), value: value))
        }
        func number() -> CBOR {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return .unsignedInt(UInt64.random(in: 0...1_700_000_000, using: &rng))
            case 1: return .negativeInt(UInt64.random(in: 0...1000, using: &rng))
            case 2: return .float(Double(Float.random(in: -100...100, using: &rng)))
            case 3: return exactEdges.randomElement(using: &rng)!
            default: return .float([0.5, 1.5, -2.25, 1e300, 23.625][Int.random(in: 0..<5, using: &rng)])
            }
        }
        add(-2, .textString("urn:dev:node-\(Int.random(in: 0..<9, using: &rng)):"))
        add(-3, number())
        add(-4, .textString("Cel"))
        add(-5, number())
        add(-6, number())
        add(0, .textString(["temp", "hum", "dør", "a/b"][Int.random(in: 0..<4, using: &rng)]))
        add(1, .textString("%RH"))
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: add(2, number())
        case 1: add(3, .textString("open"))
        case 2: add(4, .boolean(Bool.random(using: &rng)))
        case 3: add(8, .byteString([1, 2, 3]))
        default: break
        }
        add(5, number())
        add(6, number())
        add(7, number())
        entries.shuffle(using: &rng)
        return .map(entries)
    }

    @Test func wheneverTheDirectPathAnswersItIsTheTreesAnswer() throws {
        var rng = SystemRandomNumberGenerator()
        var direct = 0, fellBack = 0
        for _ in 0..<300 {
            let pack = CBOR.array((0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.randomRecord(&rng) }).encoded()
            // Every well-formed pack of known labels is taken by the direct path, and agrees.
            let records = try #require(SenMLPack.directRecords(cbor: pack, maxRecords: 256, limits: .default))
            #expect(Self.tree(pack) == .success(records))
            // Damaged copies: where the direct path still answers, the tree agrees.
            for _ in 0..<40 {
                var bad = pack
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bad.isEmpty: bad[Int.random(in: bad.indices, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1 where !bad.isEmpty: bad.removeLast(Int.random(in: 1...bad.count, using: &rng))
                case 2: bad.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bad.count, using: &rng))
                default: bad.append(UInt8.random(in: 0...255, using: &rng))
                }
                if let records = SenMLPack.directRecords(cbor: bad, maxRecords: 256, limits: .default) {
                    direct += 1
                    #expect(Self.tree(bad) == .success(records), "bytes \(bad)")
                } else {
                    fellBack += 1
                }
            }
        }
        #expect(direct > 0 && fellBack > 0)
    }

    @Test func theShapesItDeclinesAreStillDecodedOrRefusedByTheTree() throws {
        let name = CBOR.MapEntry(key: .unsignedInt(0), value: .textString("t"))
        let value = CBOR.MapEntry(key: .unsignedInt(2), value: .unsignedInt(21))
        let cases: [(String, [UInt8], Bool)] = [
            // (what, bytes, whether SenMLPack(cbor:) decodes it)
            ("an unknown label is ignored", CBOR.array([.map([name, value, .init(key: .unsignedInt(42), value: .null)])]).encoded(), true),
            ("an unknown text label is ignored", CBOR.array([.map([name, value, .init(key: "ext", value: .null)])]).encoded(), true),
            ("a must-understand label", CBOR.array([.map([name, value, .init(key: "ext_", value: .null)])]).encoded(), false),
            ("bver 10 is accepted", CBOR.array([.map([.init(key: .negativeInt(0), value: .unsignedInt(10)), name, value])]).encoded(), true),
            ("bver 11", CBOR.array([.map([.init(key: .negativeInt(0), value: .unsignedInt(11)), name, value])]).encoded(), false),
            ("two value fields", CBOR.array([.map([name, value, .init(key: 3, value: "x")])]).encoded(), false),
            ("a decimal fraction", CBOR.array([.map([name, .init(key: 2, value: .tagged(4, [-1, 215]))])]).encoded(), false),
            ("a simple value as a number", CBOR.array([.map([name, .init(key: 2, value: .null)])]).encoded(), false),
            ("an indefinite-length array", [0x9F] + CBOR.map([name, value]).encoded() + [0xFF], true),
            ("a duplicate label", [0x81, 0xA3] + CBOR.unsignedInt(0).encoded() + CBOR.textString("t").encoded()
                + CBOR.unsignedInt(2).encoded() + CBOR.unsignedInt(1).encoded()
                + CBOR.unsignedInt(2).encoded() + CBOR.unsignedInt(2).encoded(), false),
            ("a name that is not UTF-8", [0x81, 0xA1, 0x00, 0x62, 0xC3, 0x28], false),
            ("a value that is text", CBOR.array([.map([name, .init(key: .unsignedInt(2), value: .textString("1"))])]).encoded(), false),
            ("an infinite value", CBOR.array([.map([name, .init(key: .unsignedInt(2), value: .float(.infinity))])]).encoded(), false),
            ("a byte after the pack", CBOR.array([.map([name, value])]).encoded() + [0x00], false),
            ("a text label", CBOR.array([.map([.init(key: .textString("n"), value: .textString("t"))])]).encoded(), false),
        ]
        for (what, bytes, decodes) in cases {
            #expect(SenMLPack.directRecords(cbor: bytes, maxRecords: 256, limits: .default) == nil, "\(what): declined")
            let result = Result { () throws(SenMLError) in try SenMLPack(cbor: bytes) }
            #expect(((try? result.get()) != nil) == decodes, "\(what)")
            #expect(Self.tree(bytes).map { $0 } == result.map(\.records), "\(what): same as the tree")
        }
        for inexact in Self.inexactEdges {
            let bytes = CBOR.array([.map([name, .init(key: 2, value: inexact)])]).encoded()
            #expect(SenMLPack.directRecords(cbor: bytes, maxRecords: 256, limits: .default) == nil, "\(inexact): declined")
            #expect(throws: SenMLError.self, "\(inexact): refused") { try SenMLPack(cbor: bytes) }
        }
        // Too many records: the same refusal either way.
        let many = CBOR.array(Array(repeating: .map([name, value]), count: 5)).encoded()
        #expect(SenMLPack.directRecords(cbor: many, maxRecords: 4, limits: .default) == nil)
        #expect(throws: SenMLError.self) { try SenMLPack(cbor: many, maxRecords: 4) }
        #expect(try SenMLPack(cbor: many, maxRecords: 5).records.count == 5)
    }

    @Test func bothPathsTurnEdgeIntegersIntoTheirExactDoubleOrTheSameRefusal() throws {
        let expected: [(CBOR, Double?)] = zip(Self.exactEdges, [0x1p53, 0x1p63, 0x1p64 - 0x1p11, -0x1p63, -0x1p64]).map { ($0, $1) }
            + Self.inexactEdges.map { ($0, nil) }
        for label: Int64 in [2, 5, 6, -3, -5, -6] {
            for (integer, double) in expected {
                let bytes = CBOR.array([.map([.init(key: 0, value: "t"), .init(key: .int(label), value: integer)])]).encoded()
                let tree = Self.tree(bytes)
                if let direct = SenMLPack.directRecords(cbor: bytes, maxRecords: 256, limits: .default) {
                    #expect(tree == .success(direct), "label \(label), \(integer)")
                }
                switch (tree, double) {
                case (.success(let records), let double?):
                    let r = records[0]
                    #expect([r.value, r.sum, r.time, r.baseTime, r.baseValue, r.baseSum].compactMap { $0 } == [double], "label \(label), \(integer)")
                case (.failure(let error), nil):
                    #expect(error.code == .invalidRecord, "label \(label), \(integer)")
                default:
                    Issue.record("label \(label), \(integer): \(tree), expected \(double.map { "\($0)" } ?? "a refusal")")
                }
            }
        }
    }
}
