internal import CBOR

/// Typed reads of decoded CBOR, each failing with a ``SUITError`` that names the member's path.
enum SUITDecoding {
    /// Bounds for the nested `bstr .cbor` members of a manifest (the envelope itself is bounded
    /// by ``SUITEnvelope/limits``).
    static let nestedLimits = CBORLimits(maxDepth: 16, maxItems: 4_096, maxStringLength: 64 << 10, maxInputLength: 64 << 10)

    static func decodeWrapped(_ bytes: [UInt8], _ path: String) throws -> CBOR {
        do {
            return try CBOR(decoding: bytes, limits: nestedLimits)
        } catch {
            throw SUITError.malformed(path, "not one well-formed CBOR item (\(error))")
        }
    }

    static func map(_ value: CBOR, _ path: String) throws -> [CBOR.MapEntry] {
        guard let entries = value.mapEntries else { throw SUITError.malformed(path, "expected a map") }
        return entries
    }

    /// A map whose keys are all integers, as (key, value) pairs in their encoded order.
    static func intKeyedMap(_ value: CBOR, _ path: String) throws -> [(key: Int64, value: CBOR)] {
        try map(value, path).map { entry in
            guard let key = entry.key.int64Value else { throw SUITError.malformed(path, "map key \(entry.key) is not an integer") }
            return (key, entry.value)
        }
    }

    static func array(_ value: CBOR, _ path: String) throws -> [CBOR] {
        guard let items = value.arrayValue else { throw SUITError.malformed(path, "expected an array") }
        return items
    }

    static func bytes(_ value: CBOR, _ path: String) throws -> [UInt8] {
        guard let bytes = value.bytesValue else { throw SUITError.malformed(path, "expected a byte string") }
        return bytes
    }

    static func text(_ value: CBOR, _ path: String) throws -> String {
        guard let text = value.stringValue else { throw SUITError.malformed(path, "expected a text string") }
        return text
    }

    static func uint(_ value: CBOR, _ path: String) throws -> UInt64 {
        guard case .unsignedInt(let number) = value else { throw SUITError.malformed(path, "expected an unsigned integer") }
        return number
    }

    static func bool(_ value: CBOR, _ path: String) throws -> Bool {
        guard let flag = value.boolValue else { throw SUITError.malformed(path, "expected true or false") }
        return flag
    }

    /// A `bstr .cbor T` member: the byte string, then its content decoded.
    static func wrapped(_ value: CBOR, _ path: String) throws -> CBOR {
        try decodeWrapped(bytes(value, path), path)
    }
}
