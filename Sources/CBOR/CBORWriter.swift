/// Writes CBOR item by item into a byte buffer, always in the shortest form.
///
/// Use it on hot paths where building a ``CBOR`` value first would cost allocations. Maps written
/// with ``writeMapHeader(count:)`` are deterministic only if you write their keys in bytewise order
/// of their encodings (for small non-negative integer keys: ascending); ``write(_:)`` sorts for you.
public struct CBORWriter: Sendable {
    /// The bytes written so far. Appending to it directly (for example a ciphertext after
    /// ``writeByteStringHeader(count:)``) is allowed.
    public var bytes: [UInt8]

    /// Creates a writer, reserving `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// An unsigned integer.
    public mutating func writeUnsigned(_ value: UInt64) {
        Self.appendHead(major: 0, argument: value, to: &bytes)
    }

    /// A signed integer (major type 0 or 1).
    public mutating func writeInt(_ value: Int64) {
        if value >= 0 {
            Self.appendHead(major: 0, argument: UInt64(value), to: &bytes)
        } else {
            Self.appendHead(major: 1, argument: UInt64(-1 - value), to: &bytes)
        }
    }

    /// A byte string.
    public mutating func writeByteString(_ value: [UInt8]) {
        Self.appendHead(major: 2, argument: UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    /// A byte string from a slice.
    public mutating func writeByteString(_ value: ArraySlice<UInt8>) {
        Self.appendHead(major: 2, argument: UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    /// Only the head of a byte string of `count` bytes; append exactly `count` bytes to ``bytes`` next.
    public mutating func writeByteStringHeader(count: Int) {
        precondition(count >= 0, "byte string length must not be negative")
        Self.appendHead(major: 2, argument: UInt64(count), to: &bytes)
    }

    /// A text string.
    public mutating func writeTextString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            Self.appendHead(major: 3, argument: UInt64(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    /// The head of an array of `count` items; write the items next.
    public mutating func writeArrayHeader(count: Int) {
        precondition(count >= 0, "array length must not be negative")
        Self.appendHead(major: 4, argument: UInt64(count), to: &bytes)
    }

    /// The head of a map of `count` pairs; write key, value, key, value, ... next.
    public mutating func writeMapHeader(count: Int) {
        precondition(count >= 0, "map size must not be negative")
        Self.appendHead(major: 5, argument: UInt64(count), to: &bytes)
    }

    /// A tag number; write the tagged item next.
    public mutating func writeTag(_ tag: UInt64) {
        Self.appendHead(major: 6, argument: tag, to: &bytes)
    }

    /// `false` or `true`.
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 0xF5 : 0xF4)
    }

    /// `null`.
    public mutating func writeNull() {
        bytes.append(0xF6)
    }

    /// `undefined`.
    public mutating func writeUndefined() {
        bytes.append(0xF7)
    }

    /// A simple value (0...19 or 32...255; 20...23 are false/true/null/undefined, 24...31 are reserved).
    public mutating func writeSimple(_ value: UInt8) {
        precondition(!(24...31).contains(value), "simple values 24...31 are reserved")
        if value < 24 {
            bytes.append(0xE0 | value)
        } else {
            bytes.append(0xF8)
            bytes.append(value)
        }
    }

    /// A float in the shortest of half, single and double precision that keeps its value exactly.
    /// NaN is written as the canonical half-precision quiet NaN (0xF97E00).
    public mutating func writeFloat(_ value: Double) {
        if let half = HalfFloat.encodeExactly(value) {
            bytes.append(0xF9)
            appendBigEndian(UInt64(half), byteCount: 2)
        } else if let single = Float(exactly: value) {
            bytes.append(0xFA)
            appendBigEndian(UInt64(single.bitPattern), byteCount: 4)
        } else {
            bytes.append(0xFB)
            appendBigEndian(value.bitPattern, byteCount: 8)
        }
    }

    /// Any value, deterministically encoded (map keys sorted bytewise by their encoding).
    public mutating func write(_ value: CBOR) {
        switch value {
        case .unsignedInt(let v): Self.appendHead(major: 0, argument: v, to: &bytes)
        case .negativeInt(let n): Self.appendHead(major: 1, argument: n, to: &bytes)
        case .byteString(let b): writeByteString(b)
        case .textString(let s): writeTextString(s)
        case .array(let items):
            writeArrayHeader(count: items.count)
            for item in items { write(item) }
        case .map(let entries):
            writeMapHeader(count: entries.count)
            writeSortedEntries(entries)
        case .tagged(let tag, let item):
            writeTag(tag)
            write(item)
        case .boolean(let b): writeBool(b)
        case .null: writeNull()
        case .undefined: writeUndefined()
        case .simple(let v): writeSimple(v)
        case .float(let d): writeFloat(d)
        }
    }

    private mutating func writeSortedEntries(_ entries: [CBOR.MapEntry]) {
        if entries.count <= 1 {
            for entry in entries {
                write(entry.key)
                write(entry.value)
            }
            return
        }
        var encodedKeys: [([UInt8], Int)] = []
        encodedKeys.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            var keyWriter = CBORWriter(capacity: 16)
            keyWriter.write(entry.key)
            encodedKeys.append((keyWriter.bytes, index))
        }
        encodedKeys.sort { $0.0.lexicographicallyPrecedes($1.0) }
        for (key, index) in encodedKeys {
            bytes.append(contentsOf: key)
            write(entries[index].value)
        }
    }

    private mutating func appendBigEndian(_ value: UInt64, byteCount: Int) {
        var shift = (byteCount - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Appends the shortest head for `major` (0...7) and `argument`.
    static func appendHead(major: UInt8, argument: UInt64, to bytes: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24:
            bytes.append(m | UInt8(argument))
        case 24...0xFF:
            bytes.append(m | 24)
            bytes.append(UInt8(argument))
        case 0x100...0xFFFF:
            bytes.append(m | 25)
            bytes.append(UInt8(argument >> 8))
            bytes.append(UInt8(truncatingIfNeeded: argument))
        case 0x1_0000...0xFFFF_FFFF:
            bytes.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        default:
            bytes.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        }
    }
}

extension CBOR {
    /// The deterministic encoding of this value (RFC 8949 §4.2.1).
    public func encoded() -> [UInt8] {
        var writer = CBORWriter()
        writer.write(self)
        return writer.bytes
    }

    /// Appends the deterministic encoding of this value to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        var writer = CBORWriter(capacity: 0)
        swap(&writer.bytes, &bytes)
        writer.write(self)
        swap(&writer.bytes, &bytes)
    }
}
