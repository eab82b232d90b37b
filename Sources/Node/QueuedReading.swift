internal import CBOR
public import SenML

/// One reading as the node keeps it until the gateway has it: when it was taken and its records,
/// each self-contained (a name relative to the device, its own unit, an absolute time).
public struct QueuedReading: Sendable, Hashable {
    /// When the reading was taken, seconds since the Unix epoch.
    public var takenAt: Double
    /// Self-contained records: no base fields, names without the `<device>/` prefix, absolute
    /// times.
    public var records: [SenMLRecord]

    /// Wraps records that are already self-contained.
    public init(takenAt: Double, records: [SenMLRecord]) {
        self.takenAt = takenAt
        self.records = records
    }

    /// Normalizes the records of one reading: resolves base fields (RFC 8428 §4.6) with times
    /// relative to `takenAt`, strips a `<deviceID>/` base-name prefix, and refuses what the
    /// gateway would refuse (no records, a name that is invalid or names another device, a
    /// record without a value).
    public init(records input: [SenMLRecord], takenAt: Double, deviceID: String) throws {
        guard !input.isEmpty else { throw NodeError(.invalidReading, "a reading needs at least one record") }
        let prefix = deviceID + "/"
        for record in input {
            if let bn = record.baseName, bn != prefix, !bn.hasPrefix(prefix) {
                throw NodeError(.invalidReading, "a base name must start with '\(prefix)' (the device id and a slash)")
            }
        }
        let measurements: [SenMLMeasurement]
        do {
            measurements = try SenMLPack(input).resolved(now: takenAt)
        } catch {
            throw NodeError(.invalidReading, "the reading is not valid SenML: \(error.message)")
        }
        guard !measurements.isEmpty else {
            throw NodeError(.invalidReading, "a reading needs a record with a value (v, vs, vb, vd or s)")
        }
        var records: [SenMLRecord] = []
        records.reserveCapacity(measurements.count)
        for m in measurements {
            var name = m.name
            if name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
            guard SenMLPack.isValidName(name) else {
                throw NodeError(.invalidReading, "a record name is empty or has characters SenML does not allow")
            }
            records.append(SenMLRecord(
                name: name, unit: m.unit, value: m.value, stringValue: m.stringValue, boolValue: m.boolValue,
                dataValue: m.dataValue, sum: m.sum, time: m.time))
        }
        self.takenAt = takenAt
        self.records = records
    }

    // MARK: Storage form

    /// Version tag of the stored form.
    private static let storageVersion: UInt64 = 1
    /// Stored plaintexts are padded to a multiple of this, so an entry's size says little about
    /// the lengths of its names and values.
    static let paddingQuantum = 64

    /// The plaintext stored (encrypted) in the queue: CBOR `[1, takenAt, senml-cbor, padding]`.
    func storageForm() -> [UInt8] {
        let pack = SenMLPack(records).cbor()
        var writer = CBORWriter(capacity: pack.count + 96)
        writer.writeArrayHeader(count: 4)
        writer.writeUnsigned(Self.storageVersion)
        writer.writeFloat(takenAt)
        writer.writeByteString(pack)
        // Pad: the padding's own header is 1 byte below 24 bytes of padding, 2 below 256.
        let unpadded = writer.bytes.count + 1
        var padding = (Self.paddingQuantum - unpadded % Self.paddingQuantum) % Self.paddingQuantum
        if padding >= 24 { padding -= 1 }
        writer.writeByteString([UInt8](repeating: 0, count: padding))
        return writer.bytes
    }

    /// Parses ``storageForm()``; `nil` if it is not one.
    init?(storageForm bytes: [UInt8]) {
        guard let item = try? CBOR(decoding: bytes), let items = item.arrayValue, items.count == 4,
              items[0].uint64Value == Self.storageVersion, let takenAt = items[1].numericValue,
              let pack = items[2].bytesValue, let records = try? SenMLPack(cbor: pack, maxRecords: 4096).records,
              !records.isEmpty
        else { return nil }
        self.takenAt = takenAt
        self.records = records
    }
}
