/// Reads JSON text token by token, strictly and within fixed bounds, for the SenML JSON decoder.
///
/// The grammar is RFC 8259's, exactly: no trailing commas, comments, `NaN` or `Infinity`, leading
/// zeros, byte order mark or whitespace other than space, tab, CR and LF; strings are valid UTF-8
/// with control characters escaped, escapes are the eight RFC 8259 names and `\u` with surrogates
/// in pairs; no object has a member name twice. Input, strings, numbers and nesting are bounded,
/// so a hostile text costs time and memory in proportion to its length, and at most the bounds.
///
/// The SenML decoder walks the pack's structure with ``nextKind()``, ``consume(_:)``,
/// ``readString()``, ``readNumber()`` and ``readBool()``, and skips (while checking) the values of
/// labels it does not know with ``skipValue(depth:)``.
struct SenMLJSONReader {
    /// The longest text accepted, in bytes (the default input bound of CBOR decoding).
    static let maxInputLength = 4 << 20
    /// The deepest nesting of arrays and objects: the pack is at depth 1, its records at 2.
    static let maxDepth = 32
    /// The longest string, in bytes once unescaped (the default string bound of CBOR decoding).
    static let maxStringLength = 1 << 20
    /// The longest number, in characters: a double needs at most 24 (RFC 8428 §5 asks senders for
    /// a mantissa under 19 characters and an exponent under 5).
    static let maxNumberLength = 64

    /// What the next value is, from its first byte.
    enum Kind: Sendable {
        case array, object, string, number, boolean, null
    }

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) throws(SenMLError) {
        guard bytes.count <= Self.maxInputLength else {
            throw SenMLError(.malformed, "the JSON text has more than \(Self.maxInputLength) bytes")
        }
        self.bytes = bytes
    }

    // MARK: Structure

    /// The kind of the value that comes next (after whitespace), without consuming it; throws when
    /// no value can start there.
    mutating func nextKind() throws(SenMLError) -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw syntaxError("the text ends where a value should start") }
        switch bytes[position] {
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        default: throw syntaxError("no JSON value starts here")
        }
    }

    /// Consumes `byte` if it comes next (after whitespace).
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// Consumes `byte`, which must come next (after whitespace).
    mutating func expect(_ byte: UInt8) throws(SenMLError) {
        guard consume(byte) else { throw syntaxError("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    /// An object member's name and the colon after it.
    mutating func readMemberName() throws(SenMLError) -> String {
        skipWhitespace()
        guard peekByte == UInt8(ascii: "\"") else { throw syntaxError("an object member starts with its name, a string") }
        let name = try readString()
        try expect(UInt8(ascii: ":"))
        return name
    }

    /// Throws unless only whitespace is left.
    mutating func finish() throws(SenMLError) {
        skipWhitespace()
        guard position == bytes.count else { throw syntaxError("bytes after the end of the JSON value") }
    }

    /// Skips one value of any kind, checking it; containers opened here are at `depth`.
    mutating func skipValue(depth: Int) throws(SenMLError) {
        switch try nextKind() {
        case .string: _ = try readString()
        case .number: _ = try scanNumber()
        case .boolean: _ = try readBool()
        case .null: try readLiteral("null")
        case .array:
            try enter(depth)
            if !consume(UInt8(ascii: "]")) {
                repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"))
            }
        case .object:
            try enter(depth)
            if !consume(UInt8(ascii: "}")) {
                var names: Set<String> = []
                repeat {
                    guard names.insert(try readMemberName()).inserted else {
                        throw SenMLError(.invalidRecord, "a JSON object has a member name twice")
                    }
                    try skipValue(depth: depth + 1)
                } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"))
            }
        }
    }

    /// Consumes the `[` or `{` that comes next, for a container at `depth`.
    mutating func enter(_ depth: Int) throws(SenMLError) {
        guard depth <= Self.maxDepth else {
            throw SenMLError(.malformed, "JSON arrays and objects nested deeper than \(Self.maxDepth)")
        }
        skipWhitespace()
        position += 1
    }

    // MARK: Scalars

    /// `true` or `false`, which must come next.
    mutating func readBool() throws(SenMLError) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "t") {
            try readLiteral("true")
            return true
        }
        try readLiteral("false")
        return false
    }

    /// A string, which must come next.
    mutating func readString() throws(SenMLError) -> String {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw syntaxError("expected a string") }
        position += 1
        var utf8: [UInt8] = []
        var isASCII = true
        while true {
            guard position < bytes.count else { throw syntaxError("a string is not terminated") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                if isASCII { return String(decoding: utf8, as: UTF8.self) }
                // Escapes add whole, valid sequences that start with a lead byte, so the text is valid
                // exactly when its unescaped bytes are.
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw SenMLError(.malformed, "a JSON string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &utf8, isASCII: &isASCII)
            case 0..<0x20:
                throw SenMLError(.malformed, "a JSON string has an unescaped control character")
            default:
                if byte >= 0x80 { isASCII = false }
                utf8.append(byte)
            }
            guard utf8.count <= Self.maxStringLength else {
                throw SenMLError(.malformed, "a JSON string has more than \(Self.maxStringLength) bytes")
            }
        }
    }

    /// A number, which must come next: the double nearest its value, as a correctly rounding
    /// `strtod` gives it. Refused: a number beyond the doubles (it would round to infinity), and
    /// an integer (no fraction, no exponent) that no double equals: it would be stored as
    /// another integer.
    mutating func readNumber() throws(SenMLError) -> Double {
        let (lexeme, isInteger) = try scanNumber()
        guard let value = Double(String(decoding: lexeme, as: UTF8.self)), value.isFinite else {
            throw SenMLError(.invalidRecord, "a number is beyond the range of a double")
        }
        // Below 2⁵³ every integer has its double; above, compare the digits with the double's own.
        if isInteger, value.magnitude >= 0x1p53,
            !Self.exactDigits(of: value.magnitude).elementsEqual(lexeme.drop { $0 == UInt8(ascii: "-") }) {
            throw SenMLError(.invalidRecord, "an integer has no exactly equal double; it is refused rather than rounded")
        }
        return value
    }

    // MARK: Internals

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func syntaxError(_ what: String) -> SenMLError {
        SenMLError(.malformed, "not well-formed JSON (RFC 8259) at byte \(position): \(what)")
    }

    private mutating func readLiteral(_ literal: StaticString) throws(SenMLError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            bytes.count - position >= count && bytes[position..<position + count].elementsEqual(expected)
        }
        guard matches else { throw syntaxError("expected \(literal)") }
        position += count
    }

    /// The grammar of a number, `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: its
    /// characters, and whether it is an integer (no fraction, no exponent).
    private mutating func scanNumber() throws(SenMLError) -> (lexeme: ArraySlice<UInt8>, isInteger: Bool) {
        skipWhitespace()
        let start = position
        var isInteger = true
        if peekByte == UInt8(ascii: "-") { position += 1 }
        if peekByte == UInt8(ascii: "0") {
            position += 1
            guard !peekIsDigit else { throw syntaxError("a number has a leading zero") }
        } else {
            try digits()
        }
        if peekByte == UInt8(ascii: ".") {
            position += 1
            try digits()
            isInteger = false
        }
        if peekByte == UInt8(ascii: "e") || peekByte == UInt8(ascii: "E") {
            position += 1
            if peekByte == UInt8(ascii: "+") || peekByte == UInt8(ascii: "-") { position += 1 }
            try digits()
            isInteger = false
        }
        guard position - start <= Self.maxNumberLength else {
            throw SenMLError(.malformed, "a JSON number has more than \(Self.maxNumberLength) characters")
        }
        return (bytes[start..<position], isInteger)
    }

    /// One digit or more.
    private mutating func digits() throws(SenMLError) {
        guard peekIsDigit else { throw syntaxError("a number needs a digit here") }
        while peekIsDigit { position += 1 }
    }

    private var peekByte: UInt8? { position < bytes.count ? bytes[position] : nil }

    private var peekIsDigit: Bool { peekByte.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false }

    /// The escape after a backslash, appended as UTF-8.
    private mutating func readEscape(into utf8: inout [UInt8], isASCII: inout Bool) throws(SenMLError) {
        guard let byte = peekByte else { throw syntaxError("a string ends inside an escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var value = UInt32(try hex4())
            if (0xD800...0xDBFF).contains(value) {
                guard readPrefix("\\u") else { throw SenMLError(.malformed, "a JSON string has a high surrogate without a low one") }
                let low = UInt32(try hex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw SenMLError(.malformed, "a JSON string has a high surrogate without a low one")
                }
                value = 0x10000 + (value - 0xD800) << 10 + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(value) {
                throw SenMLError(.malformed, "a JSON string has a low surrogate without a high one")
            }
            // Every value left is a scalar: surrogates were paired or refused above.
            guard let scalar = Unicode.Scalar(value) else { throw syntaxError("an escape is not a Unicode scalar") }
            if value >= 0x80 { isASCII = false }
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            throw syntaxError("a string has an escape RFC 8259 does not define")
        }
    }

    /// Four hex digits.
    private mutating func hex4() throws(SenMLError) -> UInt16 {
        guard bytes.count - position >= 4 else { throw syntaxError("a \\u escape needs four hex digits") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw syntaxError("a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Consumes `prefix` if the bytes there are it.
    private mutating func readPrefix(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        let matches = prefix.withUTF8Buffer { expected in
            bytes.count - position >= count && bytes[position..<position + count].elementsEqual(expected)
        }
        if matches { position += count }
        return matches
    }

    /// The decimal digits of a non-negative integral double, exactly.
    static func exactDigits(of value: Double) -> [UInt8] {
        if value < 0x1p64 { return Array(String(UInt64(value)).utf8) }
        // value = significand × 2^(exponent − 52), the significand a 53-bit integer: double its
        // decimal digits (least significant first) that many times.
        var digits = String(UInt64(value.significandBitPattern | 1 << 52)).utf8.reversed().map { $0 - UInt8(ascii: "0") }
        for _ in 0..<(Int(value.exponent) - 52) {
            var carry: UInt8 = 0
            for i in digits.indices {
                let doubled = digits[i] * 2 + carry
                digits[i] = doubled % 10
                carry = doubled / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        return digits.reversed().map { $0 + UInt8(ascii: "0") }
    }
}
