public import CoAP
public import SenML

/// Builds the SenML pack a message carries from queued readings, spending as few bytes as
/// possible:
/// - no base name unless asked (the gateway takes the device from the DTLS identity or the kid);
///   when asked, `bn` is `<device>/` on the first record;
/// - no times when every record is fresh (taken less than ``freshness`` seconds ago): the gateway's
///   arrival time stands for them;
/// - otherwise one base time (whole seconds) on the first record and small whole-second offsets
///   on the others (1 s resolution for readings that waited in the queue);
/// - each record keeps its own unit.
public struct WirePack: Sendable {
    /// Readings younger than this (seconds) at encoding time travel without a time.
    public static let freshness = 1.0

    /// The records, ready to encode.
    public let records: [SenMLRecord]

    /// Builds the pack for `readings` (in order) as of `now` (seconds since the epoch).
    public init(readings: [QueuedReading], now: Double, deviceID: String, includeBaseName: Bool) {
        var records = readings.flatMap(\.records)
        let fresh = records.allSatisfy { abs(now - ($0.time ?? now)) < Self.freshness }
        if fresh {
            for i in records.indices { records[i].time = nil }
        } else if let first = records.first?.time {
            let base = first.rounded()
            for i in records.indices {
                let offset = ((records[i].time ?? now) - base).rounded()
                records[i].time = offset == 0 ? nil : offset
            }
            records[0].baseTime = base
        }
        if includeBaseName, !records.isEmpty { records[0].baseName = deviceID + "/" }
        self.records = records
    }

    /// The pack encoded as `format` (SenML CBOR 112 or SenML JSON 110).
    public func encoded(as format: ContentFormat) -> [UInt8] {
        format == .senmlJSON ? SenMLPack(records).json() : SenMLPack(records).cbor()
    }
}
