/// A CBOR data item (RFC 8949).
///
/// Decode with ``init(decoding:limits:)``, encode with ``encoded()``; encoding is always
/// deterministic (RFC 8949 §4.2.1): shortest-form heads, map keys sorted bytewise by their encoding,
/// floats in the shortest form that keeps the value.
///
/// Literals build values directly:
/// ```swift
/// let record: CBOR = [-2: "urn:dev:1", 2: 21.5, 0: "temp"]   // a map, entries in this order
/// let bytes = record.encoded()                              // keys sorted on output
/// ```
///
/// Equality compares structure as stored: map entries in their order, floats by value (so NaN is not
/// equal to itself). Compare ``encoded()`` bytes for semantic equality of maps built in another order.
public enum CBOR: Hashable, Sendable {
    /// Major type 0: an unsigned integer, 0...2⁶⁴−1.
    case unsignedInt(UInt64)
    /// Major type 1: the negative integer −1 − `n`, that is −1...−2⁶⁴.
    case negativeInt(UInt64)
    /// Major type 2: a byte string.
    case byteString([UInt8])
    /// Major type 3: a text string (valid UTF-8).
    case textString(String)
    /// Major type 4: an array.
    case array([CBOR])
    /// Major type 5: a map, as key/value entries in order. Keys are unique in decoded maps.
    case map([MapEntry])
    /// Major type 6: a tagged item.
    indirect case tagged(UInt64, CBOR)
    /// Major type 7: `false` or `true`.
    case boolean(Bool)
    /// Major type 7: `null`.
    case null
    /// Major type 7: `undefined`.
    case undefined
    /// Major type 7: a simple value other than false/true/null/undefined (0...19 or 32...255).
    case simple(UInt8)
    /// Major type 7: a half, single or double precision float (held as a `Double`, which holds all three exactly).
    case float(Double)

    /// One key/value pair of a ``CBOR/map(_:)``.
    public struct MapEntry: Hashable, Sendable {
        /// The key.
        public var key: CBOR
        /// The value.
        public var value: CBOR

        /// Creates an entry.
        public init(key: CBOR, value: CBOR) {
            self.key = key
            self.value = value
        }
    }

    /// An integer, as ``unsignedInt(_:)`` or ``negativeInt(_:)``.
    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsignedInt(UInt64(value)) : .negativeInt(UInt64(-1 - value))
    }

    /// An integer, as ``unsignedInt(_:)`` or ``negativeInt(_:)``.
    public static func int(_ value: Int) -> CBOR {
        int(Int64(value))
    }
}

extension CBOR: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension CBOR: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .textString(value) }
}

extension CBOR: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

extension CBOR: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .float(value) }
}

extension CBOR: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: CBOR...) { self = .array(elements) }
}

extension CBOR: ExpressibleByDictionaryLiteral {
    /// A map with the entries in the order written.
    public init(dictionaryLiteral elements: (CBOR, CBOR)...) {
        self = .map(elements.map { MapEntry(key: $0.0, value: $0.1) })
    }
}
