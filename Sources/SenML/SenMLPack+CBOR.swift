public import CBOR

extension SenMLPack {
    // MARK: Decoding (RFC 8428 §6)

    /// Decodes a CBOR pack.
    ///
    /// Refused, besides CBOR that is not well-formed or exceeds `limits`: a field of the wrong
    /// type; a number that is not finite, an integer that no double equals (beyond 2⁵³ with low
    /// bits set: it is refused, never rounded) or a decimal fraction (tag 4); a text label that
    /// names an RFC 8428 field (they have integer labels) or ends in `_` (must-understand, §4.4);
    /// a `bver` that is not an unsigned integer from 1 to ``supportedVersion`` or that differs
    /// between records; more than one of `v`, `vs`, `vb`, `vd` in a record. Other unknown labels are
    /// ignored (§4.4).
    public init(cbor bytes: [UInt8], maxRecords: Int = defaultMaxRecords, limits: CBORLimits = .default) throws(SenMLError) {
        if let records = Self.directRecords(cbor: bytes, maxRecords: maxRecords, limits: limits) {
            self.init(records)
            return
        }
        try self.init(cborTree: bytes, maxRecords: maxRecords, limits: limits)
    }

    /// Decodes through a ``CBOR`` tree: every shape, every error (see ``directRecords(cbor:maxRecords:limits:)``).
    init(cborTree bytes: [UInt8], maxRecords: Int, limits: CBORLimits) throws(SenMLError) {
        let item: CBOR
        do { item = try CBOR(decoding: bytes, limits: limits) } catch {
            throw SenMLError(.malformed, "not well-formed CBOR: \(error)")
        }
        guard case .array(let items) = item else { throw SenMLError(.malformed, "a SenML pack is a CBOR array") }
        guard items.count <= maxRecords else {
            throw SenMLError(.tooManyRecords, "\(items.count) records; at most \(maxRecords) are accepted")
        }
        var records: [SenMLRecord] = []
        records.reserveCapacity(items.count)
        var version = UInt64(Self.supportedVersion)
        for item in items {
            guard case .map(let entries) = item else { throw SenMLError(.invalidRecord, "a SenML record is a CBOR map") }
            var r = SenMLRecord()
            for entry in entries {
                guard let label = try Self.label(entry.key) else { continue }
                let v = entry.value
                switch label {
                case .bn: r.baseName = try Self.text(v, label)
                case .bt: r.baseTime = try Self.number(v, label)
                case .bu: r.baseUnit = try Self.text(v, label)
                case .bv: r.baseValue = try Self.number(v, label)
                case .bs: r.baseSum = try Self.number(v, label)
                case .n: r.name = try Self.text(v, label)
                case .u: r.unit = try Self.text(v, label)
                case .v: r.value = try Self.number(v, label)
                case .vs: r.stringValue = try Self.text(v, label)
                case .vb:
                    guard case .boolean(let b) = v else { throw SenMLError(.invalidRecord, "vb is a boolean") }
                    r.boolValue = b
                case .vd:
                    guard let d = v.bytesValue else { throw SenMLError(.invalidRecord, "vd is a byte string") }
                    r.dataValue = d
                case .s: r.sum = try Self.number(v, label)
                case .t: r.time = try Self.number(v, label)
                case .ut: _ = try Self.number(v, label)  // checked, not kept: no reading uses it
                case .bver:
                    guard case .unsignedInt(let n) = v else {
                        throw SenMLError(.invalidRecord, "bver is an unsigned integer in SenML CBOR (RFC 8428 §6)")
                    }
                    try Self.checkVersion(n, isFirstRecord: records.isEmpty, packVersion: &version)
                }
            }
            try Self.checkValueFields(r)
            records.append(r)
        }
        self.records = records
    }

    /// The RFC 8428 field a map key labels, or nil for a label to ignore. RFC 8428 §6 gives its
    /// fields integer labels, for good, and extensions text labels: an unknown integer or text
    /// label is ignored (§4.4) unless the text ends in `_` (must-understand); a text label that
    /// spells an RFC 8428 field is refused, as ignoring it would drop what the sender meant.
    static func label(_ key: CBOR) throws(SenMLError) -> Label? {
        switch key {
        case .unsignedInt, .negativeInt:
            return key.int64Value.flatMap(Label.init(rawValue:))
        case .textString(let name):
            guard Label(name: name) == nil else {
                throw SenMLError(.invalidRecord, "a text label names an RFC 8428 field, whose SenML CBOR label is an integer (RFC 8428 §6)")
            }
            try checkUnknownLabel(name)
            return nil
        default:
            throw SenMLError(.invalidRecord, "a SenML CBOR label is an integer or a text string")
        }
    }

    static func text(_ v: CBOR, _ label: Label) throws(SenMLError) -> String {
        guard let s = v.stringValue else { throw SenMLError(.invalidRecord, "\(label.name) is a text string") }
        return s
    }

    /// A CBOR number as the double equal to it: a finite float, or an integer that a double holds
    /// exactly (every one up to 2⁵³, and beyond, those whose low bits are zero, such as 2⁶³ and
    /// −2⁶⁴). Any other integer is refused rather than rounded: it would be stored as a different
    /// number (RFC 8428 §6 asks senders for numbers a double holds exactly).
    static func number(_ v: CBOR, _ label: Label) throws(SenMLError) -> Double {
        switch v {
        case .float(let d):
            guard d.isFinite else { throw SenMLError(.invalidRecord, "\(label.name) is a finite number") }
            return d
        case .unsignedInt(let n):
            guard let d = Double(exactly: n) else { throw inexact(label) }
            return d
        case .negativeInt(let n):
            // The value is −1 − n; n + 1 overflows only for −2⁶⁴, which a double holds.
            if n == .max { return -0x1p64 }
            guard let d = Double(exactly: n + 1) else { throw inexact(label) }
            return -d
        case .tagged(4, _):
            throw SenMLError(.invalidRecord, "\(label.name) is a decimal fraction (CBOR tag 4); this decoder takes integers and floats")
        default:
            throw SenMLError(.invalidRecord, "\(label.name) is a number")
        }
    }

    private static func inexact(_ label: Label) -> SenMLError {
        SenMLError(.invalidRecord, "\(label.name) is an integer that no double equals; it is refused rather than rounded")
    }

    // MARK: Encoding

    /// Encodes as CBOR, deterministically: map keys in the bytewise order of their encodings
    /// (n 0, u 1, v 2, vs 3, vb 4, s 5, t 6, vd 8, then bn -2, bt -3, bu -4, bv -5, bs -6), written
    /// straight into a ``CBORWriter`` with no intermediate ``CBOR`` tree (the gateway encodes
    /// every stored reading).
    public func cbor() -> [UInt8] {
        var w = CBORWriter(capacity: 8 + records.count * 24)
        w.writeArrayHeader(count: records.count)
        for r in records {
            Self.writeMap(
                to: &w, n: r.name, u: r.unit, v: r.value, vs: r.stringValue, vb: r.boolValue, s: r.sum, t: r.time,
                vd: r.dataValue, bn: r.baseName, bt: r.baseTime, bu: r.baseUnit, bv: r.baseValue, bs: r.baseSum)
        }
        return w.bytes
    }

    /// One record's map: the fields present, keys in the order ``cbor()`` gives.
    static func writeMap(
        to w: inout CBORWriter, n: String?, u: String?, v: Double?, vs: String?, vb: Bool?, s: Double?, t: Double?,
        vd: [UInt8]?, bn: String? = nil, bt: Double? = nil, bu: String? = nil, bv: Double? = nil, bs: Double? = nil
    ) {
        var count = 0
        if n != nil { count += 1 }
        if u != nil { count += 1 }
        if v != nil { count += 1 }
        if vs != nil { count += 1 }
        if vb != nil { count += 1 }
        if s != nil { count += 1 }
        if t != nil { count += 1 }
        if vd != nil { count += 1 }
        if bn != nil { count += 1 }
        if bt != nil { count += 1 }
        if bu != nil { count += 1 }
        if bv != nil { count += 1 }
        if bs != nil { count += 1 }
        w.writeMapHeader(count: count)
        if let n { w.writeInt(Label.n.rawValue); w.writeTextString(n) }
        if let u { w.writeInt(Label.u.rawValue); w.writeTextString(u) }
        if let v { w.writeInt(Label.v.rawValue); writeNumber(v, to: &w) }
        if let vs { w.writeInt(Label.vs.rawValue); w.writeTextString(vs) }
        if let vb { w.writeInt(Label.vb.rawValue); w.writeBool(vb) }
        if let s { w.writeInt(Label.s.rawValue); writeNumber(s, to: &w) }
        if let t { w.writeInt(Label.t.rawValue); writeNumber(t, to: &w) }
        if let vd { w.writeInt(Label.vd.rawValue); w.writeByteString(vd) }
        if let bn { w.writeInt(Label.bn.rawValue); w.writeTextString(bn) }
        if let bt { w.writeInt(Label.bt.rawValue); writeNumber(bt, to: &w) }
        if let bu { w.writeInt(Label.bu.rawValue); w.writeTextString(bu) }
        if let bv { w.writeInt(Label.bv.rawValue); writeNumber(bv, to: &w) }
        if let bs { w.writeInt(Label.bs.rawValue); writeNumber(bs, to: &w) }
    }

    /// Integers as CBOR integers (shorter), others as floats.
    static func writeNumber(_ value: Double, to writer: inout CBORWriter) {
        if value.rounded() == value, abs(value) < 9.0e15 { writer.writeInt(Int64(value)) } else { writer.writeFloat(value) }
    }
}
