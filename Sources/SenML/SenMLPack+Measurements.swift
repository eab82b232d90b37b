import CBOR

extension SenMLPack {
    /// The CBOR of a pack of resolved measurements: the same bytes as
    /// `SenMLPack(measurements.map(\.record)).cbor()`, written with no intermediate records (the
    /// gateway's commit worker encodes every reading it stores).
    public static func cbor(_ measurements: [SenMLMeasurement]) -> [UInt8] {
        var w = CBORWriter(capacity: 8 + measurements.count * 24)
        w.writeArrayHeader(count: measurements.count)
        for m in measurements {
            writeMap(
                to: &w, n: m.name, u: m.unit, v: m.value, vs: m.stringValue, vb: m.boolValue, s: m.sum, t: m.time,
                vd: m.dataValue)
        }
        return w.bytes
    }
}
