extension SenMLPack {
    // MARK: Decoding (RFC 8428 §5)

    /// Decodes a JSON pack.
    ///
    /// The text is read by a strict RFC 8259 reader (no trailing commas, comments, `NaN`, leading
    /// zeros, invalid UTF-8 or unescaped control characters; at most 4 MiB, strings of 1 MiB,
    /// numbers of 64 characters, nesting 32 deep) and the records stop at `maxRecords`. Refused
    /// besides: a field of the wrong type; a number beyond the doubles, or an integer no double
    /// equals (refused rather than rounded); a label twice in a record; a `vd` that is not
    /// unpadded base64url; an unknown label ending in `_` (must-understand, RFC 8428 §4.4); a
    /// `bver` that is not an integer from 1 to ``supportedVersion`` or that differs between
    /// records; more than one of `v`, `vs`, `vb`, `vd` in a record. Other unknown labels are
    /// ignored (§4.4), their values checked as JSON.
    public init(json bytes: [UInt8], maxRecords: Int = defaultMaxRecords) throws(SenMLError) {
        var reader = try SenMLJSONReader(bytes)
        guard try reader.nextKind() == .array else { throw SenMLError(.malformed, "a SenML pack is a JSON array") }
        try reader.enter(1)
        var records: [SenMLRecord] = []
        var version = UInt64(Self.supportedVersion)
        if !reader.consume(UInt8(ascii: "]")) {
            repeat {
                // Refused at the first record too many: the rest is not read.
                guard records.count < maxRecords else {
                    throw SenMLError(.tooManyRecords, "more than \(maxRecords) records; at most \(maxRecords) are accepted")
                }
                records.append(try Self.record(from: &reader, isFirstRecord: records.isEmpty, packVersion: &version))
            } while reader.consume(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "]"))
        }
        try reader.finish()
        self.init(records)
    }

    /// One record: a JSON object whose members are labels.
    private static func record(
        from reader: inout SenMLJSONReader, isFirstRecord: Bool, packVersion: inout UInt64
    ) throws(SenMLError) -> SenMLRecord {
        guard try reader.nextKind() == .object else { throw SenMLError(.invalidRecord, "a SenML record is a JSON object") }
        try reader.enter(2)
        var r = SenMLRecord()
        if reader.consume(UInt8(ascii: "}")) { return r }
        var seen: UInt32 = 0
        var unknown: Set<String> = []
        repeat {
            let name = try reader.readMemberName()
            guard let label = Label(name: name) else {
                guard unknown.insert(name).inserted else { throw duplicate() }
                try checkUnknownLabel(name)
                try reader.skipValue(depth: 3)
                continue
            }
            guard seen & label.bit == 0 else { throw duplicate() }
            seen |= label.bit
            switch label {
            case .bn: r.baseName = try text(&reader, label)
            case .bt: r.baseTime = try number(&reader, label)
            case .bu: r.baseUnit = try text(&reader, label)
            case .bv: r.baseValue = try number(&reader, label)
            case .bs: r.baseSum = try number(&reader, label)
            case .n: r.name = try text(&reader, label)
            case .u: r.unit = try text(&reader, label)
            case .v: r.value = try number(&reader, label)
            case .vs: r.stringValue = try text(&reader, label)
            case .vb:
                guard try reader.nextKind() == .boolean else { throw SenMLError(.invalidRecord, "vb is a boolean") }
                r.boolValue = try reader.readBool()
            case .vd:
                guard let d = SenMLBase64URL.decode(try text(&reader, label)) else {
                    throw SenMLError(.invalidRecord, "vd is base64url text without padding (RFC 8428 §5)")
                }
                r.dataValue = d
            case .s: r.sum = try number(&reader, label)
            case .t: r.time = try number(&reader, label)
            case .ut: _ = try number(&reader, label)  // checked, not kept: no reading uses it
            case .bver:
                let v = try number(&reader, label)
                guard v >= 1, v.rounded() == v else { throw SenMLError(.invalidRecord, "bver is a positive integer (RFC 8428 §4.1)") }
                try checkVersion(v > 0x1p63 ? .max : UInt64(v), isFirstRecord: isFirstRecord, packVersion: &packVersion)
            }
        } while reader.consume(UInt8(ascii: ","))
        try reader.expect(UInt8(ascii: "}"))
        try checkValueFields(r)
        return r
    }

    private static func duplicate() -> SenMLError {
        SenMLError(.invalidRecord, "a record has the same label twice")
    }

    private static func text(_ reader: inout SenMLJSONReader, _ label: Label) throws(SenMLError) -> String {
        guard try reader.nextKind() == .string else { throw SenMLError(.invalidRecord, "\(label.name) is a string") }
        return try reader.readString()
    }

    private static func number(_ reader: inout SenMLJSONReader, _ label: Label) throws(SenMLError) -> Double {
        guard try reader.nextKind() == .number else { throw SenMLError(.invalidRecord, "\(label.name) is a number") }
        return try reader.readNumber()
    }

    // MARK: Encoding

    /// Encodes as compact JSON with the fields in a fixed order.
    public func json() -> [UInt8] {
        var out = "["
        for (i, r) in records.enumerated() {
            if i > 0 { out += "," }
            var fields: [String] = []
            if let v = r.baseName { fields.append("\"bn\":\(Self.quote(v))") }
            if let v = r.baseTime { fields.append("\"bt\":\(Self.number(v))") }
            if let v = r.baseUnit { fields.append("\"bu\":\(Self.quote(v))") }
            if let v = r.baseValue { fields.append("\"bv\":\(Self.number(v))") }
            if let v = r.baseSum { fields.append("\"bs\":\(Self.number(v))") }
            if let v = r.name { fields.append("\"n\":\(Self.quote(v))") }
            if let v = r.unit { fields.append("\"u\":\(Self.quote(v))") }
            if let v = r.value { fields.append("\"v\":\(Self.number(v))") }
            if let v = r.stringValue { fields.append("\"vs\":\(Self.quote(v))") }
            if let v = r.boolValue { fields.append("\"vb\":\(v)") }
            if let v = r.dataValue { fields.append("\"vd\":\(Self.quote(SenMLBase64URL.encode(v)))") }
            if let v = r.sum { fields.append("\"s\":\(Self.number(v))") }
            if let v = r.time { fields.append("\"t\":\(Self.number(v))") }
            out += "{" + fields.joined(separator: ",") + "}"
        }
        return Array((out + "]").utf8)
    }

    static func number(_ v: Double) -> String {
        if v.rounded() == v, abs(v) < 9.0e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
