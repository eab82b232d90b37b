import CBOR
import Testing

/// Hex helper local to the tests (CBOR has no crypto dependency).
func bytes(_ hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

@Suite("CBOR")
struct CBORTests {
    /// RFC 8949 Appendix A items whose encoding is already deterministic: decode, compare, re-encode.
    static let appendixA: [(CBOR, String)] = [
        (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
        (1000, "1903e8"), (1_000_000, "1a000f4240"), (1_000_000_000_000, "1b000000e8d4a51000"),
        (.unsignedInt(18_446_744_073_709_551_615), "1bffffffffffffffff"),
        (.negativeInt(18_446_744_073_709_551_615), "3bffffffffffffffff"),
        (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
        (0.0, "f90000"), (-0.0, "f98000"), (1.0, "f93c00"), (1.1, "fb3ff199999999999a"), (1.5, "f93e00"),
        (65504.0, "f97bff"), (100000.0, "fa47c35000"), (3.4028234663852886e+38, "fa7f7fffff"),
        (1.0e+300, "fb7e37e43c8800759c"), (5.960464477539063e-8, "f90001"), (0.00006103515625, "f90400"),
        (-4.0, "f9c400"), (-4.1, "fbc010666666666666"),
        (.float(.infinity), "f97c00"), (.float(-.infinity), "f9fc00"),
        (false, "f4"), (true, "f5"), (.null, "f6"), (.undefined, "f7"), (.simple(16), "f0"), (.simple(255), "f8ff"),
        (.tagged(0, "2013-03-21T20:04:00Z"), "c074323031332d30332d32315432303a30343a30305a"),
        (.tagged(1, 1_363_896_240), "c11a514b67b0"), (.tagged(1, 1363896240.5), "c1fb41d452d9ec200000"),
        (.tagged(23, .byteString([1, 2, 3, 4])), "d74401020304"),
        (.tagged(24, .byteString(bytes("6449455446"))), "d818456449455446"),
        (.tagged(32, "http://www.example.com"), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
        (.byteString([]), "40"), (.byteString([1, 2, 3, 4]), "4401020304"),
        ("", "60"), ("a", "6161"), ("IETF", "6449455446"), ("\"\\", "62225c"), ("\u{00fc}", "62c3bc"),
        ("\u{6c34}", "63e6b0b4"), ("\u{10151}", "64f0908591"),
        ([], "80"), ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"),
        (.array((1...25).map { CBOR.int($0) }), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
        ([:], "a0"), ([1: 2, 3: 4], "a201020304"), (["a": 1, "b": [2, 3]], "a26161016162820203"),
        (["a", ["b": "c"]], "826161a161626163"),
        (["a": "A", "b": "B", "c": "C", "d": "D", "e": "E"], "a56161614161626142616361436164614461656145"),
    ]

    @Test("RFC 8949 Appendix A: decode and deterministic re-encode")
    func appendixAExamples() throws {
        for (value, encoding) in Self.appendixA {
            #expect(value.encoded() == bytes(encoding), "encoding \(encoding)")
            #expect(try CBOR(decoding: bytes(encoding)) == value, "decoding \(encoding)")
        }
    }

    @Test("NaN encodes as f97e00 and decodes from any width")
    func nan() throws {
        #expect(CBOR.float(.nan).encoded() == bytes("f97e00"))
        for encoding in ["f97e00", "fa7fc00000", "fb7ff8000000000000"] {
            #expect(try CBOR(decoding: bytes(encoding)).doubleValue?.isNaN == true)
        }
        #expect(try CBOR(decoding: bytes("fa7f800000")) == .float(.infinity))
        #expect(try CBOR(decoding: bytes("fbfff0000000000000")) == .float(-.infinity))
    }

    @Test("non-preferred encodings decode, and re-encode in shortest form")
    func nonPreferred() throws {
        let cases: [(String, String)] = [
            ("1800", "00"), ("190017", "17"), ("1a00000064", "1864"), ("1b00000000000003e8", "1903e8"),
            ("fa3fc00000", "f93e00"), ("fb3ff8000000000000", "f93e00"), ("5900020102", "420102"),
            ("fb4132d68800000000", "fa4996b440"),   // 1234567.0 fits a single
        ]
        for (input, shortest) in cases {
            #expect(try CBOR(decoding: bytes(input)).encoded() == bytes(shortest), "\(input)")
        }
    }

    @Test("indefinite-length items from Appendix A are accepted")
    func indefinite() throws {
        #expect(try CBOR(decoding: bytes("5f42010243030405ff")) == .byteString([1, 2, 3, 4, 5]))
        #expect(try CBOR(decoding: bytes("7f657374726561646d696e67ff")) == "streaming")
        #expect(try CBOR(decoding: bytes("9fff")) == [])
        #expect(try CBOR(decoding: bytes("9f018202039f0405ffff")) == [1, [2, 3], [4, 5]])
        #expect(try CBOR(decoding: bytes("83018202039f0405ff")) == [1, [2, 3], [4, 5]])
        #expect(try CBOR(decoding: bytes("bf61610161629f0203ffff")) == ["a": 1, "b": [2, 3]])
        #expect(try CBOR(decoding: bytes("bf6346756ef563416d7421ff")) == ["Fun": true, "Amt": -2])
        // Re-encoded deterministically (definite lengths).
        #expect(try CBOR(decoding: bytes("9f018202039f0405ffff")).encoded() == bytes("8301820203820405"))
    }

    @Test("map keys are sorted bytewise by encoding (RFC 8949 §4.2.1 example)")
    func deterministicMapOrder() {
        let map: CBOR = [false: 8, [-1]: 7, [100]: 6, "aa": 5, "z": 4, -1: 3, 100: 2, 10: 1]
        let expected = "a8" + "0a01" + "186402" + "2003" + "617a04" + "62616105" + "81186406" + "812007" + "f408"
        #expect(hex(map.encoded()) == expected)
        // Nested maps are sorted too.
        let nested: CBOR = [["b": 1, "a": 2]]
        #expect(hex(nested.encoded()) == "81a2616102616201")
    }

    @Test("integer boundaries use the shortest head")
    func integerHeads() {
        let cases: [(CBOR, String)] = [
            (.int(23), "17"), (.int(24), "1818"), (.int(255), "18ff"), (.int(256), "190100"),
            (.int(65535), "19ffff"), (.int(65536), "1a00010000"), (.int(4_294_967_295), "1affffffff"),
            (.int(4_294_967_296), "1b0000000100000000"), (.int(-24), "37"), (.int(-25), "3818"),
            (.int(Int64.min), "3b7fffffffffffffff"), (.int(Int64.max), "1b7fffffffffffffff"),
        ]
        for (value, encoding) in cases {
            #expect(hex(value.encoded()) == encoding)
        }
    }

    @Test("accessors")
    func accessors() throws {
        let value: CBOR = [-2: "urn:dev:1", 2: 21.5, 0: "temp", "n": [1, 2], "b": true]
        #expect(value[-2]?.stringValue == "urn:dev:1")
        #expect(value[2]?.doubleValue == 21.5)
        #expect(value["n"]?.arrayValue?.count == 2)
        #expect(value["b"]?.boolValue == true)
        #expect(value[99] == nil)
        #expect(CBOR.negativeInt(UInt64.max).int64Value == nil)
        #expect(CBOR.int(-5).int64Value == -5)
        #expect(CBOR.int(-5).intValue == -5)
        #expect(CBOR.unsignedInt(UInt64.max).int64Value == nil)
        #expect(CBOR.unsignedInt(UInt64.max).uint64Value == UInt64.max)
        #expect(CBOR.int(7).numericValue == 7)
        #expect(CBOR.int(-7).numericValue == -7)
        #expect(CBOR.tagged(2, .byteString([1])).taggedValue?.tag == 2)
        #expect(CBOR.null.isNull)
        #expect(CBOR.byteString([1, 2]).bytesValue == [1, 2])
        #expect(CBOR.textString("x").bytesValue == nil)
    }

    @Test("random values round trip through encode and decode")
    func randomRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        func random(depth: Int) -> CBOR {
            switch Int.random(in: 0..<(depth > 3 ? 7 : 10), using: &generator) {
            case 0: return .unsignedInt(UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0..<64))
            case 1: return .negativeInt(UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0..<64))
            case 2: return .byteString((0..<Int.random(in: 0..<40)).map { _ in UInt8.random(in: 0...255) })
            case 3: return .textString(String((0..<Int.random(in: 0..<20)).map { _ in "aé水𐅑".randomElement()! }))
            case 4: return .float([0.5, -2.25, 1.1, 1e300, 100000.0, 65504.0, 5.960464477539063e-8].randomElement()!)
            case 5: return [.boolean(true), .boolean(false), .null, .undefined, .simple(99)].randomElement()!
            case 6: return .int(Int64.random(in: -1000...1000))
            case 7: return .array((0..<Int.random(in: 0..<5)).map { _ in random(depth: depth + 1) })
            case 8:
                var seen = Set<[UInt8]>()
                var entries: [CBOR.MapEntry] = []
                for _ in 0..<Int.random(in: 0..<5) {
                    let key = random(depth: depth + 1)
                    if seen.insert(key.encoded()).inserted { entries.append(.init(key: key, value: random(depth: depth + 1))) }
                }
                return .map(entries)
            default: return .tagged(UInt64.random(in: 0..<100_000), random(depth: depth + 1))
            }
        }
        for _ in 0..<500 {
            let value = random(depth: 0)
            let encoded = value.encoded()
            let decoded = try CBOR(decoding: encoded)
            // Deterministic encoding is a fixed point.
            #expect(decoded.encoded() == encoded)
        }
    }
}
