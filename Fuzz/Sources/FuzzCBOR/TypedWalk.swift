import CBOR

/// Rebuilds one item with the typed reads only (`readUnsigned`, `readInt`, `readByteString`,
/// `readTextString`, `readArrayHeader`, `readMapHeader`, `readTag`), falling back to
/// `readValue()` for major type 7, which has no typed read. The typed reads do not track depth,
/// so the walk bounds its own recursion.
enum TypedWalk {
    struct TooDeep: Error {}

    static func value(_ reader: inout CBORReader, depth: Int) throws -> CBOR {
        guard depth < 64 else { throw TooDeep() }
        switch reader.nextMajorType {
        case 0: return .unsignedInt(try reader.readUnsigned())
        case 1: return .int(try reader.readInt())
        case 2: return .byteString(Array(try reader.readByteString()))
        case 3: return .textString(try reader.readTextString())
        case 4:
            let count = try reader.readArrayHeader()
            var items: [CBOR] = []
            for _ in 0..<count { items.append(try value(&reader, depth: depth + 1)) }
            return .array(items)
        case 5:
            let count = try reader.readMapHeader()
            var entries: [CBOR.MapEntry] = []
            for _ in 0..<count {
                let key = try value(&reader, depth: depth + 1)
                entries.append(CBOR.MapEntry(key: key, value: try value(&reader, depth: depth + 1)))
            }
            return .map(entries)
        case 6:
            let tag = try reader.readTag()
            return .tagged(tag, try value(&reader, depth: depth + 1))
        default:
            return try reader.readValue()
        }
    }
}
