extension CBOR {
    /// The value of an unsigned integer.
    public var uint64Value: UInt64? {
        if case .unsignedInt(let v) = self { return v }
        return nil
    }

    /// The value of an integer (either sign) if it fits in `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .unsignedInt(let v): return v <= UInt64(Int64.max) ? Int64(v) : nil
        case .negativeInt(let n): return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: return nil
        }
    }

    /// The value of an integer (either sign) if it fits in `Int`.
    public var intValue: Int? {
        int64Value.flatMap { Int(exactly: $0) }
    }

    /// The bytes of a byte string.
    public var bytesValue: [UInt8]? {
        if case .byteString(let v) = self { return v }
        return nil
    }

    /// The text of a text string.
    public var stringValue: String? {
        if case .textString(let v) = self { return v }
        return nil
    }

    /// The elements of an array.
    public var arrayValue: [CBOR]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// The entries of a map, in order.
    public var mapEntries: [MapEntry]? {
        if case .map(let v) = self { return v }
        return nil
    }

    /// The value of `false`/`true`.
    public var boolValue: Bool? {
        if case .boolean(let v) = self { return v }
        return nil
    }

    /// The value of a float.
    public var doubleValue: Double? {
        if case .float(let v) = self { return v }
        return nil
    }

    /// A number as `Double`: a float, or an integer (rounded to the nearest `Double` if large).
    public var numericValue: Double? {
        switch self {
        case .float(let v): return v
        case .unsignedInt(let v): return Double(v)
        case .negativeInt(let n): return -1 - Double(n)
        default: return nil
        }
    }

    /// The tag number and content of a tagged item.
    public var taggedValue: (tag: UInt64, value: CBOR)? {
        if case .tagged(let tag, let value) = self { return (tag, value) }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// For a map, the value of the first entry whose key equals `key`; otherwise `nil`.
    ///
    /// ```swift
    /// cbor[1]?.int64Value      // integer key
    /// cbor["bn"]?.stringValue  // text key
    /// ```
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        for entry in entries where entry.key == key {
            return entry.value
        }
        return nil
    }
}
