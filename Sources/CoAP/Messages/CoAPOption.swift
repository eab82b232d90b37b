/// One CoAP option: a number and its raw value bytes.
public struct CoAPOption: Hashable, Sendable, CustomStringConvertible {
    public var number: CoAPOptionNumber
    public var value: [UInt8]

    public init(_ number: CoAPOptionNumber, _ value: [UInt8]) {
        self.number = number
        self.value = value
    }

    /// An option holding a string (Uri-Path, Uri-Query, Location-Path, ...).
    public init(_ number: CoAPOptionNumber, string: String) {
        self.init(number, Array(string.utf8))
    }

    /// An option holding an unsigned integer in the minimal big-endian form (RFC 7252 §3.2).
    public init(_ number: CoAPOptionNumber, uint: UInt64) {
        self.init(number, CoAPOption.encodeUInt(uint))
    }

    /// The value read as a big-endian unsigned integer, if at most 8 bytes long.
    public var uintValue: UInt64? {
        guard value.count <= 8 else { return nil }
        return value.reduce(0) { ($0 << 8) | UInt64($1) }
    }

    /// The value read as UTF-8 text.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }

    /// Minimal big-endian encoding: zero is the empty string.
    public static func encodeUInt(_ v: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var v = v
        while v > 0 {
            bytes.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        }
        return bytes
    }

    enum Format { case empty, opaque, uint, string }

    public var description: String {
        switch number.format {
        case .string: return "\(number): \(stringValue)"
        case .uint:
            if number == .block1 || number == .block2, let b = CoAPBlockOption(option: self) {
                return "\(number): \(b)"
            }
            if number == .contentFormat || number == .accept, let v = uintValue {
                return "\(number): \(ContentFormat(UInt16(truncatingIfNeeded: v)))"
            }
            return "\(number): \(uintValue.map(String.init) ?? "0x" + value.hexString)"
        case .opaque: return "\(number): 0x\(value.hexString)"
        case .empty: return "\(number)"
        }
    }
}

extension [UInt8] {
    /// Lowercase hex, two digits per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
