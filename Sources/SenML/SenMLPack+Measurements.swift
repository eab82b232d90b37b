import CBOR

extension SenMLPack {
    /// The CBOR of a pack of resolved measurements: the same bytes as
    /// `SenMLPack(measurements.map(\.record)).cbor()`, written with no intermediate records (the
    /// gateway's commit worker encodes every reading it stores).
    public static func cbor(_ measurements: [SenMLMeasurement]) -> [UInt8] {
        var w = CBORWriter(capacity: 8 + measurements.count * 24)
        w.writeArrayHeader(count: measurements.count)
        for m in measurements {
            var fields = 2  // n and t
            if m.unit != nil { fields += 1 }
            if m.value != nil { fields += 1 }
            if m.stringValue != nil { fields += 1 }
            if m.boolValue != nil { fields += 1 }
            if m.sum != nil { fields += 1 }
            if m.dataValue != nil { fields += 1 }
            w.writeMapHeader(count: fields)
            w.writeInt(Label.n.rawValue)
            w.writeTextString(m.name)
            if let u = m.unit { w.writeInt(Label.u.rawValue); w.writeTextString(u) }
            if let v = m.value { w.writeInt(Label.v.rawValue); writeNumber(v, to: &w) }
            if let vs = m.stringValue { w.writeInt(Label.vs.rawValue); w.writeTextString(vs) }
            if let vb = m.boolValue { w.writeInt(Label.vb.rawValue); w.writeBool(vb) }
            if let s = m.sum { w.writeInt(Label.s.rawValue); writeNumber(s, to: &w) }
            w.writeInt(Label.t.rawValue)
            writeNumber(m.time, to: &w)
            if let vd = m.dataValue { w.writeInt(Label.vd.rawValue); w.writeByteString(vd) }
        }
        return w.bytes
    }
}
