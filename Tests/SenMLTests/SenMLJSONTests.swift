import SenML
import Testing

/// SenML JSON is read as RFC 8259 defines JSON, exactly, and within bounds.
@Suite("SenML JSON") struct SenMLJSONTests {
    private func decode(_ text: String) -> Result<SenMLPack, SenMLError> {
        decode(Array(text.utf8))
    }

    private func decode(_ bytes: [UInt8]) -> Result<SenMLPack, SenMLError> {
        Result { () throws(SenMLError) in try SenMLPack(json: bytes) }
    }

    private func code(_ text: String) -> SenMLError.Code? {
        if case .failure(let error) = decode(text) { return error.code }
        return nil
    }

    @Test func jsonIsReadExactlyAsRFC8259DefinesIt() throws {
        // Every form RFC 8259 allows, with the values it means.
        let valid = "\u{20}\t\r\n[ {\"n\" : \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\u{7F}é\" , \"vs\":\"\\u0000\" } ,"
            + "{\"n\":\"b\",\"v\":-0},{\"n\":\"c\",\"v\":1E2},{\"n\":\"d\",\"v\":2.5e-3},{\"n\":\"e\",\"v\":1e+2},"
            + "{\"n\":\"f\",\"v\":0.125},{\"n\":\"g\",\"vb\":true,\"x\":[null,false,{},[],{\"k\":[1,\"z\"]}]}]\n"
        let records = try decode(valid).get().records
        #expect(records.map(\.name) == ["a\"\\/\u{8}\u{C}\n\r\té😀\u{7F}é", "b", "c", "d", "e", "f", "g"])
        #expect(records[0].stringValue == "\u{0}")
        #expect(records[1...5].map(\.value) == [-0.0, 100, 0.0025, 100, 0.125])
        #expect(records[6].boolValue == true)

        // Everything else is malformed.
        let invalid: [(String, String)] = [
            ("a trailing comma in an array", #"[{"n":"a","v":1},]"#),
            ("a trailing comma in an object", #"[{"n":"a","v":1,}]"#),
            ("a trailing comma in an ignored value", #"[{"n":"a","v":1,"x":[1,2,]}]"#),
            ("a leading zero", #"[{"n":"a","v":01}]"#),
            ("a leading zero in an ignored value", #"[{"n":"a","v":1,"x":007}]"#),
            ("NaN", #"[{"n":"a","v":NaN}]"#),
            ("Infinity", #"[{"n":"a","v":-Infinity}]"#),
            ("a leading plus", #"[{"n":"a","v":+1}]"#),
            ("a bare fraction", #"[{"n":"a","v":.5}]"#),
            ("a trailing dot", #"[{"n":"a","v":1.}]"#),
            ("hexadecimal", #"[{"n":"a","v":0x10}]"#),
            ("a line comment", "[{\"n\":\"a\",\"v\":1}] // note"),
            ("a block comment", #"[/* note */{"n":"a","v":1}]"#),
            ("single quotes", "[{'n':'a','v':1}]"),
            ("an unquoted name", #"[{n:"a","v":1}]"#),
            ("True", #"[{"n":"a","vb":True}]"#),
            ("a raw tab in a string", "[{\"n\":\"a\u{9}b\",\"v\":1}]"),
            ("a raw newline in a string", "[{\"n\":\"a\nb\",\"v\":1}]"),
            ("an unknown escape", #"[{"n":"a\x41","v":1}]"#),
            ("a short \\u escape", #"[{"n":"a\u41","v":1}]"#),
            ("a lone high surrogate", #"[{"n":"a","vs":"\ud800","v":1}]"#),
            ("a high surrogate before another escape", #"[{"n":"a","vs":"\ud800\u0041"}]"#),
            ("a lone low surrogate", #"[{"n":"a","vs":"\udc00"}]"#),
            ("a byte order mark", "\u{FEFF}[{\"n\":\"a\",\"v\":1}]"),
            ("a second value", #"[{"n":"a","v":1}] []"#),
            ("a missing comma", #"[{"n":"a" "v":1}]"#),
            ("a missing colon", #"[{"n" "a","v":1}]"#),
            ("a form feed as whitespace", "[\u{C}{\"n\":\"a\",\"v\":1}]"),
        ]
        for (what, text) in invalid {
            #expect(code(text) == .malformed, "\(what): \(text)")
        }

        // Strings are UTF-8 (RFC 8259 §8.1), checked byte for byte.
        let prefix = Array(#"[{"n":"a","vs":""#.utf8), suffix = Array(#""}]"#.utf8)
        let notUTF8: [(String, [UInt8])] = [
            ("a lone continuation byte", [0x80]),
            ("a truncated sequence", [0xC3]),
            ("an overlong slash", [0xC0, 0xAF]),
            ("a surrogate encoded in UTF-8", [0xED, 0xA0, 0x80]),
            ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("a truncated sequence before an escape", [0xE2, 0x82] + Array(#"\u0041"#.utf8)),
        ]
        for (what, bytes) in notUTF8 {
            #expect(throws: SenMLError.self, "\(what)") { try decode(prefix + bytes + suffix).get() }
        }
        #expect(try decode(prefix + [0xE2, 0x82, 0xAC] + suffix).get().records[0].stringValue == "€")
    }

    @Test func aLabelTwiceInARecordIsRefused() {
        for text in [
            #"[{"n":"a","v":1,"v":2}]"#,
            #"[{"n":"a","v":1,"\u0076":2}]"#,  // the same name, escaped
            #"[{"n":"a","v":1,"x":1,"x":2}]"#,  // an ignored label, twice
            #"[{"n":"a","v":1,"x":{"k":1,"k":2}}]"#,  // inside an ignored value
        ] {
            #expect(code(text) == .invalidRecord, "\(text)")
        }
        #expect(code(#"[{"n":"a","v":1},{"n":"b","v":2}]"#) == nil, "the same labels in two records")
    }

    @Test func numbersBeyondADoubleAndIntegersNoDoubleEqualsAreRefused() throws {
        for number in ["1e309", "-1e400", "9007199254740993", "-9007199254740993", "18446744073709551615", "100000000000000000000000"] {
            #expect(code(#"[{"n":"a","v":"# + number + "}]") == .invalidRecord, "\(number)")
        }
        let exact = [
            ("9007199254740992", 9_007_199_254_740_992.0), ("-9223372036854775808", -9_223_372_036_854_775_808),
            ("18446744073709551616", 18_446_744_073_709_551_616), ("1180591620717411303424", 1_180_591_620_717_411_303_424),  // 2⁷⁰
            ("9007199254740993.0", 9_007_199_254_740_992), ("0.1", 0.1), ("1e-400", 0),
        ]
        for (number, value) in exact {
            #expect(try decode(#"[{"n":"a","v":"# + number + "}]").get().records[0].value == value, "\(number)")
        }
    }

    @Test func hostileSizesAreRefusedWithinTheBounds() throws {
        let deep = String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
        #expect(code(#"[{"n":"a","v":1,"x":"# + deep + "}]") == nil, "nesting 32 deep, the pack and the record included")
        #expect(code(#"[{"n":"a","v":1,"x":["# + deep + "]}]") == .malformed, "nesting 33 deep")
        let long = String(repeating: "x", count: (1 << 20) + 1)
        #expect(code(#"[{"n":"a","v":1,"x":""# + long + #""}]"#) == .malformed, "a string over 1 MiB")
        #expect(code(#"[{"n":"a","v":1,"x":""# + long.dropLast() + #""}]"#) == nil, "a string of 1 MiB")
        let padding = String(repeating: " ", count: 4 << 20)
        #expect(code(#"[{"n":"a","v":1}]"# + padding) == .malformed, "a text over 4 MiB")
        #expect(code(#"[{"n":"a","v":1"# + String(repeating: "0", count: 64) + "}]") == .malformed, "a number of 65 characters")
        #expect(code(#"[{"n":"a","v":0."# + String(repeating: "0", count: 61) + "1}]") == nil, "a number of 64 characters")
        let many = "[" + Array(repeating: #"{"n":"a","v":1}"#, count: 5).joined(separator: ",") + "]"
        #expect(throws: SenMLError.self) { try SenMLPack(json: Array(many.utf8), maxRecords: 4) }
        #expect(try SenMLPack(json: Array(many.utf8), maxRecords: 5).records.count == 5)
    }

    @Test func dataValuesAreUnpaddedBase64URLOnly() throws {
        #expect(try decode(#"[{"n":"a","vd":"AAEC_-8"}]"#).get().records[0].dataValue == [0, 1, 2, 255, 239])
        #expect(try decode(#"[{"n":"a","vd":""}]"#).get().records[0].dataValue == [])
        for vd in ["AQ==", "AQ+/", "AQ/", "A", "AR", "AQ A", "AQ\\n"] {
            #expect(code(#"[{"n":"a","vd":""# + vd + #""}]"#) == .invalidRecord, "\(vd)")
        }
    }
}
