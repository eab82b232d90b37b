public import CBOR
import Foundation

/// A SenML pack: an array of records, in JSON (Content-Format 110) or CBOR (112), RFC 8428.
///
/// Decoding is bounded: at most `maxRecords` records, CBOR under ``CBORLimits``, so hostile input
/// is refused with a ``SenMLError`` rather than a crash or an unbounded allocation.
public struct SenMLPack: Sendable, Hashable {
    public var records: [SenMLRecord]

    /// The default bound on records per pack.
    public static let defaultMaxRecords = 256

    public init(_ records: [SenMLRecord]) { self.records = records }

    // MARK: Resolution (RFC 8428 §4.6)

    /// Self-contained measurements: base name prepended, base time added, base unit and value
    /// applied, relative times (below 2²⁸) taken from `now`. Records without a value are
    /// skipped; invalid names are refused.
    public func resolved(now: Double? = nil) throws(SenMLError) -> [SenMLMeasurement] {
        let now = now ?? Date().timeIntervalSince1970
        var baseName = "", baseTime = 0.0, baseUnit: String?, baseValue: Double?
        var out: [SenMLMeasurement] = []
        out.reserveCapacity(records.count)
        for record in records {
            if let bn = record.baseName { baseName = bn }
            if let bt = record.baseTime { baseTime = bt }
            if let bu = record.baseUnit { baseUnit = bu }
            if let bv = record.baseValue { baseValue = bv }
            guard record.hasValue || baseValue != nil else { continue }
            let name = baseName + (record.name ?? "")
            guard Self.isValidName(name) else {
                throw SenMLError(.invalidRecord, "a record's name is empty or has characters RFC 8428 does not allow")
            }
            var time = baseTime + (record.time ?? 0)
            if time < 268_435_456 { time += now }  // 2^28: relative to now
            var value = record.value
            if let v = value, let bv = baseValue { value = v + bv } else if value == nil, record.stringValue == nil,
                record.boolValue == nil, record.dataValue == nil, record.sum == nil { value = baseValue }
            out.append(SenMLMeasurement(
                name: name, unit: record.unit ?? baseUnit, value: value, stringValue: record.stringValue,
                boolValue: record.boolValue, dataValue: record.dataValue, sum: record.sum, time: time))
        }
        return out
    }

    /// RFC 8428 §4.5.1: `[A-Za-z0-9][-:./_A-Za-z0-9]*`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first.isAlnum else { return false }
        return name.utf8.allSatisfy { $0.isAlnum || $0 == 0x2D || $0 == 0x3A || $0 == 0x2E || $0 == 0x2F || $0 == 0x5F }
    }

    // MARK: CBOR (RFC 8428 §6)

    enum Label: Int64 {
        case bver = -1, bn = -2, bt = -3, bu = -4, bv = -5, bs = -6
        case n = 0, u = 1, v = 2, vs = 3, vb = 4, s = 5, t = 6, ut = 7, vd = 8
    }

    /// Decodes a CBOR pack.
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
        for item in items {
            guard case .map(let entries) = item else { throw SenMLError(.invalidRecord, "a SenML record is a CBOR map") }
            var r = SenMLRecord()
            for entry in entries {
                guard let key = entry.key.int64Value else { throw SenMLError(.invalidRecord, "SenML CBOR labels are integers") }
                let v = entry.value
                switch Label(rawValue: key) {
                case .bn: r.baseName = try Self.text(v)
                case .bt: r.baseTime = try Self.number(v)
                case .bu: r.baseUnit = try Self.text(v)
                case .bv: r.baseValue = try Self.number(v)
                case .n: r.name = try Self.text(v)
                case .u: r.unit = try Self.text(v)
                case .v: r.value = try Self.number(v)
                case .vs: r.stringValue = try Self.text(v)
                case .vb:
                    guard case .boolean(let b) = v else { throw SenMLError(.invalidRecord, "vb is a boolean") }
                    r.boolValue = b
                case .vd:
                    guard let d = v.bytesValue else { throw SenMLError(.invalidRecord, "vd is a byte string") }
                    r.dataValue = d
                case .s: r.sum = try Self.number(v)
                case .t: r.time = try Self.number(v)
                case .bver, .bs, .ut, .none: continue  // understood-and-ignored or unknown (ignored per §4.4)
                }
            }
            records.append(r)
        }
        self.records = records
    }

    /// Encodes as CBOR, deterministically: map keys in the bytewise order of their encodings
    /// (n 0, u 1, v 2, vs 3, vb 4, s 5, t 6, vd 8, then bn -2, bt -3, bu -4, bv -5), written
    /// straight into a ``CBORWriter`` with no intermediate ``CBOR`` tree (the gateway encodes
    /// every stored reading).
    public func cbor() -> [UInt8] {
        var w = CBORWriter(capacity: 8 + records.count * 24)
        w.writeArrayHeader(count: records.count)
        for r in records {
            Self.writeMap(
                to: &w, n: r.name, u: r.unit, v: r.value, vs: r.stringValue, vb: r.boolValue, s: r.sum, t: r.time,
                vd: r.dataValue, bn: r.baseName, bt: r.baseTime, bu: r.baseUnit, bv: r.baseValue)
        }
        return w.bytes
    }

    /// One record's map: the fields present, keys in the order ``cbor()`` gives.
    static func writeMap(
        to w: inout CBORWriter, n: String?, u: String?, v: Double?, vs: String?, vb: Bool?, s: Double?, t: Double?,
        vd: [UInt8]?, bn: String? = nil, bt: Double? = nil, bu: String? = nil, bv: Double? = nil
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
    }

    /// Integers as CBOR integers (shorter), others as floats.
    static func writeNumber(_ value: Double, to writer: inout CBORWriter) {
        if value.rounded() == value, abs(value) < 9.0e15 { writer.writeInt(Int64(value)) } else { writer.writeFloat(value) }
    }

    static func text(_ v: CBOR) throws(SenMLError) -> String {
        guard let s = v.stringValue else { throw SenMLError(.invalidRecord, "a SenML name or unit is a text string") }
        return s
    }

    static func number(_ v: CBOR) throws(SenMLError) -> Double {
        switch v {
        case .float(let d) where d.isFinite: return d
        case .unsignedInt, .negativeInt: return Double(v.int64Value ?? 0)
        default: throw SenMLError(.invalidRecord, "a SenML value or time is a finite number")
        }
    }

    // MARK: JSON (RFC 8428 §5)

    /// The JSON shape of a record; JSONDecoder keeps numbers and booleans apart.
    private struct JSONRecord: Decodable {
        var bn: String?, bt: Double?, bu: String?, bv: Double?
        var n: String?, u: String?, v: Double?, vs: String?, vb: Bool?, vd: String?, s: Double?, t: Double?
    }

    /// Decodes a JSON pack.
    public init(json bytes: [UInt8], maxRecords: Int = defaultMaxRecords) throws(SenMLError) {
        // Count records before decoding them all: a cheap bound on work.
        guard bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "[") else {
            throw SenMLError(.malformed, "a SenML pack is a JSON array")
        }
        let objects = bytes.reduce(0) { $1 == UInt8(ascii: "{") ? $0 + 1 : $0 }
        let decoded: [JSONRecord]
        do { decoded = try JSONDecoder().decode([JSONRecord].self, from: Data(bytes)) } catch DecodingError.dataCorrupted {
            throw SenMLError(.malformed, "not well-formed JSON")
        } catch {
            throw SenMLError(.invalidRecord, "a SenML record has a field of the wrong type")
        }
        guard decoded.count <= maxRecords, objects <= maxRecords * 2 + 16 else {
            throw SenMLError(.tooManyRecords, "\(decoded.count) records; at most \(maxRecords) are accepted")
        }
        var records: [SenMLRecord] = []
        records.reserveCapacity(decoded.count)
        for j in decoded {
            for number in [j.bt, j.bv, j.v, j.s, j.t] where number.map({ !$0.isFinite }) ?? false {
                throw SenMLError(.invalidRecord, "a SenML value or time is a finite number")
            }
            var data: [UInt8]?
            if let vd = j.vd {
                guard let d = Self.base64URLDecode(vd) else { throw SenMLError(.invalidRecord, "vd is base64url text") }
                data = d
            }
            records.append(SenMLRecord(
                baseName: j.bn, baseTime: j.bt, baseUnit: j.bu, baseValue: j.bv, name: j.n, unit: j.u, value: j.v,
                stringValue: j.vs, boolValue: j.vb, dataValue: data, sum: j.s, time: j.t))
        }
        self.records = records
    }

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
            if let v = r.name { fields.append("\"n\":\(Self.quote(v))") }
            if let v = r.unit { fields.append("\"u\":\(Self.quote(v))") }
            if let v = r.value { fields.append("\"v\":\(Self.number(v))") }
            if let v = r.stringValue { fields.append("\"vs\":\(Self.quote(v))") }
            if let v = r.boolValue { fields.append("\"vb\":\(v)") }
            if let v = r.dataValue { fields.append("\"vd\":\(Self.quote(Self.base64URLEncode(v)))") }
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

    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

extension UInt8 {
    var isAlnum: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
