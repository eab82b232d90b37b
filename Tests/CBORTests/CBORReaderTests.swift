import CBOR
import Testing

@Suite("CBORReader")
struct CBORReaderTests {
    private func code(_ input: [UInt8], limits: CBORLimits = .default) -> CBORError.Code? {
        do {
            _ = try CBOR(decoding: input, limits: limits)
            return nil
        } catch let error as CBORError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("a length header claiming 2^60 bytes fails before allocating")
    func hugeStringLength() {
        // byte string, 8-byte length 2^60, then 3 bytes
        #expect(code(bytes("5b1000000000000000010203")) == .stringTooLong)
        #expect(code(bytes("7b1000000000000000010203")) == .stringTooLong)
        // Within the string limit but beyond the input.
        #expect(code(bytes("5a000fffff01")) == .truncated)
        let small = CBORLimits(maxStringLength: 4)
        #expect(code(bytes("4501020304ff05"), limits: small) == .stringTooLong)
    }

    @Test("array and map headers claiming 2^60 items fail before reserving")
    func hugeContainers() {
        #expect(code(bytes("9b100000000000000001")) == .truncated)
        #expect(code(bytes("bb100000000000000001")) == .truncated)
        #expect(code(bytes("9bffffffffffffffff")) == .truncated)
        let tight = CBORLimits(maxItems: 10)
        #expect(code([0x8b] + [UInt8](repeating: 0, count: 11), limits: tight) == .itemLimitExceeded)
        // Many items in total (nested), beyond the default item limit.
        var many: [UInt8] = [0x9a, 0x00, 0x01, 0x86, 0xa0]   // array of 100,000
        many += [UInt8](repeating: 0x00, count: 100_000)
        #expect(code(many) == .itemLimitExceeded)
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deepNesting() {
        #expect(code([UInt8](repeating: 0x81, count: 100_000) + [0x00]) == .depthLimitExceeded)
        #expect(code([UInt8](repeating: 0x9f, count: 100_000)) == .depthLimitExceeded)
        #expect(code([UInt8](repeating: 0xc1, count: 100_000) + [0x00]) == .depthLimitExceeded)
        #expect(code([UInt8](repeating: 0xa1, count: 50_000) + [0x00]) == .depthLimitExceeded)
        // Exactly at the limit is fine.
        let limits = CBORLimits(maxDepth: 3)
        #expect(code([0x81, 0x81, 0x81, 0x00], limits: limits) == nil)
        #expect(code([0x81, 0x81, 0x81, 0x81, 0x00], limits: limits) == .depthLimitExceeded)
        // Even an absurd configured depth is capped.
        let absurd = CBORLimits(maxDepth: 10_000_000, maxItems: .max)
        #expect(code([UInt8](repeating: 0x81, count: 200_000) + [0x00], limits: absurd) == .depthLimitExceeded)
    }

    @Test("every truncation of a valid item fails cleanly")
    func truncations() throws {
        let value: CBOR = ["a": [1, 2, 1000, -70000, 1.1, 1.5, 100000.0], "b": .byteString([1, 2, 3]),
                           .tagged(16, "x"): .map([.init(key: 1, value: "ü")]), 4: [.null, true]]
        let encoded = value.encoded()
        for length in 0..<encoded.count {
            #expect(code(Array(encoded.prefix(length))) != nil, "prefix \(length)")
        }
        let indefinite = bytes("bf61610161629f0203ffff")
        for length in 0..<indefinite.count {
            #expect(code(Array(indefinite.prefix(length))) != nil, "indefinite prefix \(length)")
        }
    }

    @Test("malformed inputs: reserved info, stray break, bad simple, bad chunks, trailing bytes")
    func malformed() {
        #expect(code([0x1c]) == .malformed)
        #expect(code([0x5d]) == .malformed)
        #expect(code([0xff]) == .malformed)
        #expect(code([0x1f]) == .malformed)          // indefinite unsigned
        #expect(code([0xdf, 0x00]) == .malformed)    // indefinite tag
        #expect(code([0xf8, 0x10]) == .malformed)    // two-byte simple < 32
        #expect(code(bytes("5f6161ff")) == .malformed)  // text chunk in a byte string
        #expect(code(bytes("5f5f4101ffff")) == .malformed)  // nested indefinite chunk
        #expect(code(bytes("bf01ff")) == .malformed)  // key without value
        #expect(code([0x00, 0x00]) == .trailingBytes)
        #expect(code([]) == .truncated)
    }

    @Test("invalid UTF-8 is refused, definite or chunked")
    func invalidUTF8() {
        #expect(code([0x62, 0xc3, 0x28]) == .invalidUTF8)
        #expect(code([0x61, 0xff]) == .invalidUTF8)
        #expect(code([0x63, 0xed, 0xa0, 0x80]) == .invalidUTF8)  // surrogate
        #expect(code([0x7f, 0x61, 0xc3, 0x61, 0xbc, 0xff]) == .invalidUTF8)  // code point split across chunks
    }

    @Test("text strings are accepted exactly when they are valid UTF-8")
    func utf8DecisionMatchesTheStandardLibrary() {
        // Every 1- and 2-byte string, then 3- and 4-byte strings built from the bytes where UTF-8
        // decisions change (lead bytes, continuation bounds, surrogates, overlongs, > U+10FFFF),
        // including a 3-byte invalid prefix followed by another byte, which decodes to one
        // U+FFFD of the same length.
        let edges: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var inputs: [[UInt8]] = (0...255).map { [UInt8($0)] }
        for a in 0...255 { for b in 0...255 { inputs.append([UInt8(a), UInt8(b)]) } }
        for a in edges { for b in edges { for c in edges {
            inputs.append([a, b, c])
            if [0x00, 0xE0, 0xED, 0xF0, 0xF4, 0xF5].contains(a) { for d in edges { inputs.append([a, b, c, d]) } }
        } } }
        inputs.append([0xF0, 0x90, 0x80, 0x41])
        inputs.append(Array("\u{FFFD}".utf8))
        let wrong = inputs.filter { input in
            let expected = String(validating: input, as: UTF8.self).map(CBOR.textString)
            return (try? CBOR(decoding: [0x60 | UInt8(input.count)] + input)) != expected
        }
        #expect(wrong.isEmpty, "decided differently: \(wrong.prefix(5))")
    }

    @Test("duplicate map keys are refused, small and large maps")
    func duplicateKeys() {
        #expect(code(bytes("a201020103")) == .duplicateMapKey)
        var large: [UInt8] = [0xb8, 20]
        for i in 0..<19 { large += [UInt8(i), 0x00] }
        large += [0x05, 0x00]
        #expect(code(large) == .duplicateMapKey)
    }

    @Test("input longer than the limit is refused up front")
    func inputLimit() {
        let limits = CBORLimits(maxInputLength: 8)
        #expect(code([UInt8](repeating: 0, count: 9), limits: limits) == .inputTooLong)
    }

    @Test("typed reads walk a structure without copying byte strings")
    func typedReads() throws {
        let message: [UInt8] = CBOR.tagged(16, [.byteString([0xa1, 0x01, 0x0a]), [4: .byteString([7])], "x", -3]).encoded()
        var reader = try CBORReader(message)
        #expect(try reader.readTag() == 16)
        #expect(try reader.readArrayHeader() == 4)
        #expect(Array(try reader.readByteString()) == [0xa1, 0x01, 0x0a])
        #expect(try reader.readMapHeader() == 1)
        #expect(try reader.readInt() == 4)
        #expect(Array(try reader.readByteString()) == [7])
        #expect(reader.nextMajorType == 3)
        #expect(try reader.readTextString() == "x")
        #expect(try reader.readInt() == -3)
        #expect(reader.isAtEnd)
        try reader.finish()

        var mismatch = try CBORReader([0x01])
        #expect { try mismatch.readByteString() } throws: { ($0 as? CBORError)?.code == .typeMismatch }
        var overflow = try CBORReader(bytes("1bffffffffffffffff"))
        #expect { try overflow.readInt() } throws: { ($0 as? CBORError)?.code == .integerOverflow }
        var indefinite = try CBORReader([0x9f, 0xff])
        #expect { try indefinite.readArrayHeader() } throws: { ($0 as? CBORError)?.code == .indefiniteLength }
    }

    @Test("skipValue skips whole items within the limits")
    func skip() throws {
        var reader = try CBORReader(bytes("bf61610161629f0203ffff") + [0x05])
        try reader.skipValue()
        #expect(try reader.readUnsigned() == 5)
        var deep = try CBORReader([UInt8](repeating: 0x81, count: 1000) + [0x00])
        #expect { try deep.skipValue() } throws: { ($0 as? CBORError)?.code == .depthLimitExceeded }
    }

    @Test("random garbage never crashes")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<48, using: &generator)
            let input = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = code(input)
            var reader = try? CBORReader(input)
            _ = try? reader?.skipValue()
        }
    }

    @Test("errors carry an offset and never the data")
    func errorText() {
        do {
            _ = try CBOR(decoding: [0x82, 0x63, 0x61, 0x62, 0xff, 0x00])
            Issue.record("invalid UTF-8 accepted")
        } catch let error as CBORError {
            #expect(error.offset == 1)
            #expect(!error.description.contains("ab"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
