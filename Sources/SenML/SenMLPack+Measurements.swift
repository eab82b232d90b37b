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

    /// Measurements stored as ``cbor(_:)`` wrote them, read back as they are: there are no base
    /// fields or relative times to resolve, and ``resolved(now:)``'s refusals (of an empty pack,
    /// say, which a stored reading whose allow-list kept nothing is) do not apply.
    public static func measurements(cbor bytes: [UInt8]) throws(SenMLError) -> [SenMLMeasurement] {
        try SenMLPack(cbor: bytes).records.map { (r: SenMLRecord) throws(SenMLError) -> SenMLMeasurement in
            guard let name = r.name, let time = r.time else {
                throw SenMLError(.invalidRecord, "a stored measurement has a name and a time")
            }
            return SenMLMeasurement(
                name: name, unit: r.unit, value: r.value, stringValue: r.stringValue, boolValue: r.boolValue,
                dataValue: r.dataValue, sum: r.sum, time: time)
        }
    }
}
