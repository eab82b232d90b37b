/// Base64url without padding (RFC 4648 §5), the form of a data value (`vd`) in SenML JSON
/// (RFC 8428 §5).
enum SenMLBase64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(group >> UInt32(shift) & 63)]) }
            i += 3
        }
        switch bytes.count - i {
        case 1:
            let group = UInt32(bytes[i]) << 16
            for shift in [18, 12] { out.append(alphabet[Int(group >> UInt32(shift) & 63)]) }
        case 2:
            let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            for shift in [18, 12, 6] { out.append(alphabet[Int(group >> UInt32(shift) & 63)]) }
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil unless it is exactly that form: the URL-safe alphabet only
    /// (no `+`, `/`, `=` padding or whitespace), a length that ends on a whole byte, and zero bits
    /// in the last character's unused part, so that each byte string has one spelling.
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var pending: UInt32 = 0, bits: UInt32 = 0
        for c in text.utf8 {
            let sextet: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): sextet = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): sextet = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sextet = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): sextet = 62
            case UInt8(ascii: "_"): sextet = 63
            default: return nil
            }
            pending = pending << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: pending >> bits))
                pending &= (1 << bits) - 1
            }
        }
        // Six bits left over (a length of 4k + 1) cannot end a byte string.
        guard bits < 6, pending == 0 else { return nil }
        return out
    }
}
