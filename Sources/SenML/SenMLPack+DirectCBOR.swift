import CBOR

extension SenMLPack {
    /// Decodes the common shape of a CBOR pack straight from the bytes, with no ``CBOR`` tree: a
    /// definite-length array of definite-length maps whose keys are the labels this library
    /// reads, each at most once, with values of the right type. Returns nil for anything else
    /// (unknown or ignored labels, indefinite lengths, a wrong type, too many records, any error),
    /// and the caller decodes the bytes again through the tree, which gives the answer or the
    /// error the specification asks for. So this path only has to be right where it says yes.
    ///
    /// The gateway decodes every reading: the tree (an array of maps of enum values, a duplicate
    /// key check, a copy of each record) was ~10% of the loaded CoAP loop thread.
    static func directRecords(cbor bytes: [UInt8], maxRecords: Int, limits: CBORLimits) -> [SenMLRecord]? {
        // The tree decoder refuses containers at depth ≥ maxDepth: an array holding maps needs 2.
        guard limits.maxDepth >= 2, var reader = try? CBORReader(bytes, limits: limits),
            reader.nextMajorType == 4, let count = try? reader.readArrayHeader(), count <= maxRecords
        else { return nil }
        var records: [SenMLRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            guard reader.nextMajorType == 5, let pairs = try? reader.readMapHeader() else { return nil }
            var record = SenMLRecord()
            var seen: UInt32 = 0
            for _ in 0..<pairs {
                guard let major = reader.nextMajorType, major <= 1, let key = try? reader.readInt(),
                    let label = Label(rawValue: key)
                else { return nil }
                let bit: UInt32 = 1 << UInt32(key + 8)
                guard seen & bit == 0 else { return nil }
                seen |= bit
                switch label {
                case .bn: guard let v = Self.directText(&reader) else { return nil }; record.baseName = v
                case .bu: guard let v = Self.directText(&reader) else { return nil }; record.baseUnit = v
                case .n: guard let v = Self.directText(&reader) else { return nil }; record.name = v
                case .u: guard let v = Self.directText(&reader) else { return nil }; record.unit = v
                case .vs: guard let v = Self.directText(&reader) else { return nil }; record.stringValue = v
                case .bt: guard let v = Self.directNumber(&reader) else { return nil }; record.baseTime = v
                case .bv: guard let v = Self.directNumber(&reader) else { return nil }; record.baseValue = v
                case .v: guard let v = Self.directNumber(&reader) else { return nil }; record.value = v
                case .s: guard let v = Self.directNumber(&reader) else { return nil }; record.sum = v
                case .t: guard let v = Self.directNumber(&reader) else { return nil }; record.time = v
                case .vb:
                    guard reader.nextMajorType == 7, case .boolean(let b)? = try? reader.readValue() else { return nil }
                    record.boolValue = b
                case .vd:
                    guard reader.nextMajorType == 2, let v = try? reader.readByteString() else { return nil }
                    record.dataValue = Array(v)
                case .bver, .bs, .ut:
                    return nil  // ignored labels: the tree path checks their values are well-formed
                }
            }
            records.append(record)
        }
        guard (try? reader.finish()) != nil else { return nil }
        return records
    }

    private static func directText(_ reader: inout CBORReader) -> String? {
        guard reader.nextMajorType == 3 else { return nil }
        return try? reader.readTextString()
    }

    /// An integer (that fits in Int64) or a finite float, as ``number(_:)`` takes it.
    private static func directNumber(_ reader: inout CBORReader) -> Double? {
        switch reader.nextMajorType {
        case 0, 1: return (try? reader.readInt()).map(Double.init)
        case 7:
            guard case .float(let d)? = try? reader.readValue(), d.isFinite else { return nil }
            return d
        default: return nil
        }
    }
}
