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

    /// A record with a random subset of the fields, as a CBOR map in a random key order, numbers
    /// as integers or as floats of any width the encoder picks.
    static func randomRecord<G: RandomNumberGenerator>(_ rng: inout G) -> CBOR {
        var entries: [CBOR.MapEntry] = []
        func add(_ label: Int64, _ value: CBOR) {
            guard Bool.random(using: &rng) else { return }
            entries.append(CBOR.MapEntry(key: label < 0 ? .negativeInt(UInt64(-1 - label)) : .unsignedInt(UInt64(label)), value: value))
        }
        func number() -> CBOR {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return .unsignedInt(UInt64.random(in: 0...1_700_000_000, using: &rng))
            case 1: return .negativeInt(UInt64.random(in: 0...1000, using: &rng))
            case 2: return .float(Double(Float.random(in: -100...100, using: &rng)))
            default: return .float([0.5, 1.5, -2.25, 1e300, 23.625][Int.random(in: 0..<5, using: &rng)])
            }
        }
        add(-2, .textString("urn:dev:node-\(Int.random(in: 0..<9, using: &rng)):"))
        add(-3, number())
        add(-4, .textString("Cel"))
        add(-5, number())
        add(0, .textString(["temp", "hum", "dør", "a/b"][Int.random(in: 0..<4, using: &rng)]))
        add(1, .textString("%RH"))
        add(2, number())
        add(3, .textString("open"))
        add(4, .boolean(Bool.random(using: &rng)))
        add(5, number())
        add(6, number())
        add(8, .byteString([1, 2, 3]))
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
            ("bver is ignored", CBOR.array([.map([.init(key: .negativeInt(0), value: .unsignedInt(10)), name, value])]).encoded(), true),
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
        // Too many records: the same refusal either way.
        let many = CBOR.array(Array(repeating: .map([name, value]), count: 5)).encoded()
        #expect(SenMLPack.directRecords(cbor: many, maxRecords: 4, limits: .default) == nil)
        #expect(throws: SenMLError.self) { try SenMLPack(cbor: many, maxRecords: 4) }
        #expect(try SenMLPack(cbor: many, maxRecords: 5).records.count == 5)
    }
}
