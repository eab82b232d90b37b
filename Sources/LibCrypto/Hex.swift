/// Hexadecimal text for byte strings (key ids, test vectors, secret files).
public enum Hex {
    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex for `bytes`, two characters per byte, no separators.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            utf8.append(lowerDigits[Int(byte >> 4)])
            utf8.append(lowerDigits[Int(byte & 0x0F)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Parses hex text (either case). With `ignoringWhitespace`, spaces, tabs and newlines
    /// anywhere are skipped. Throws ``CryptoError/Code/invalidEncoding`` for an odd number of digits
    /// or a character that is not a hex digit; the message gives the position, never the text.
    public static func decode(_ text: some StringProtocol, ignoringWhitespace: Bool = false) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count / 2)
        var high: UInt8? = nil
        for (position, char) in text.utf8.enumerated() {
            guard let nibble = value(ofDigit: char) else {
                if ignoringWhitespace, char == 0x20 || char == 0x09 || char == 0x0A || char == 0x0D { continue }
                throw CryptoError(.invalidEncoding, "not a hex digit at position \(position)")
            }
            if let h = high {
                result.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard high == nil else {
            throw CryptoError(.invalidEncoding, "odd number of hex digits")
        }
        return result
    }

    /// The value of one hex digit (either case), or nil for any other byte.
    @inlinable
    public static func value(ofDigit c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
