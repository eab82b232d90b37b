public import SenML
import FuzzSupport

/// What must hold for every SenML pack a decoder accepts, whichever format it came in.
public enum SenMLChecks {
    /// A fixed "now", so relative times resolve the same on every run.
    public static let now: Double = 1_700_000_000

    /// Round trips through both encodings, then resolution and the stored-measurement form.
    public static func check(_ pack: SenMLPack) {
        do {
            let viaCBOR = try SenMLPack(cbor: pack.cbor())
            invariant(viaCBOR == pack, "cbor() → init(cbor:) changed the pack")
        } catch { unexpected(error, "the CBOR encoding of a decoded pack does not decode") }
        do {
            let viaJSON = try SenMLPack(json: pack.json())
            invariant(viaJSON == pack, "json() → init(json:) changed the pack")
        } catch { unexpected(error, "the JSON encoding of a decoded pack does not decode") }

        guard let measurements = try? pack.resolved(now: now) else { return }
        invariant(measurements.count == pack.records.count, "resolution dropped or added records")
        for m in measurements {
            invariant((try? SenMLPack.checkName(m.name)) != nil, "a resolved name fails checkName")
            invariant((m.unit?.utf8.count ?? 0) <= SenMLPack.maxUnitLength, "a resolved unit is too long")
            invariant(m.time >= 0 && m.time < SenMLPack.timeLimit, "a resolved time is out of range: \(m.time)")
            invariant(m.value?.isFinite ?? true, "a resolved value is not finite")
            invariant(m.sum?.isFinite ?? true, "a resolved sum is not finite")
        }
        // What the gateway stores must read back as it was stored.
        do {
            let stored = try SenMLPack.measurements(cbor: SenMLPack.cbor(measurements))
            invariant(stored == measurements, "stored measurements read back differently")
        } catch { unexpected(error, "stored measurements do not read back") }
    }
}
