import CBOR

extension SenMLPack {
    /// Decodes the common shape of a CBOR pack straight from the bytes, with no ``CBOR`` tree: a
    /// definite-length array of definite-length maps whose keys are the integer labels this
    /// library keeps, each at most once, with values of the right type, at most one value field
    /// per record. Returns nil for anything else (unknown labels, text labels, `bver`, indefinite
    /// lengths, a wrong type, a number ``number(_:_:)`` refuses, too many records, any error), and
    /// the caller decodes the bytes again through the tree, which gives the answer or the error
    /// the specification asks for. So this path only has to be right where it says yes; numbers
    /// go through the tree path's own ``number(_:_:)``, so they cannot differ.
    ///
    /// The gateway decodes every reading, and the tree costs it (Benchmarks/RESULTS.md,
    /// "Measurements behind the code").
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
                guard seen & label.bit == 0 else { return nil }
                seen |= label.bit
                switch label {
                case .bn: guard let v = Self.directText(&reader) else { return nil }; record.baseName = v
                case .bu: guard let v = Self.directText(&reader) else { return nil }; record.baseUnit = v
                case .n: guard let v = Self.directText(&reader) else { return nil }; record.name = v
                case .u: guard let v = Self.directText(&reader) else { return nil }; record.unit = v
                case .vs: guard let v = Self.directText(&reader) else { return nil }; record.stringValue = v
                case .bt: guard let v = Self.directNumber(&reader, label) else { return nil }; record.baseTime = v
                case .bv: guard let v = Self.directNumber(&reader, label) else { return nil }; record.baseValue = v
                case .bs: guard let v = Self.directNumber(&reader, label) else { return nil }; record.baseSum = v
                case .v: guard let v = Self.directNumber(&reader, label) else { return nil }; record.value = v
                case .s: guard let v = Self.directNumber(&reader, label) else { return nil }; record.sum = v
                case .t: guard let v = Self.directNumber(&reader, label) else { return nil }; record.time = v
                case .ut: guard Self.directNumber(&reader, label) != nil else { return nil }
                case .vb:
                    guard reader.nextMajorType == 7, case .boolean(let b)? = try? reader.readValue() else { return nil }
                    record.boolValue = b
                case .vd:
                    guard reader.nextMajorType == 2, let v = try? reader.readByteString() else { return nil }
                    record.dataValue = Array(v)
                case .bver:
                    return nil  // a pack-wide rule (one version for all records): the tree path checks it
                }
            }
            guard record.valueFieldCount <= 1 else { return nil }
            records.append(record)
        }
        guard (try? reader.finish()) != nil else { return nil }
        return records
    }

    private static func directText(_ reader: inout CBORReader) -> String? {
        guard reader.nextMajorType == 3 else { return nil }
        return try? reader.readTextString()
    }

    /// An integer or a float, as ``number(_:_:)`` takes it (or refuses it: nil).
    private static func directNumber(_ reader: inout CBORReader, _ label: Label) -> Double? {
        guard let major = reader.nextMajorType, major <= 1 || major == 7, let item = try? reader.readValue() else { return nil }
        return try? number(item, label)
    }
}
