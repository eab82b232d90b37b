/// A SenML pack: an array of records, in JSON (Content-Format 110) or CBOR (112), RFC 8428.
///
/// Decoding (``init(json:maxRecords:)``, ``init(cbor:maxRecords:limits:)``) follows RFC 8428 and,
/// for JSON, RFC 8259 to the letter, and is bounded: at most `maxRecords` records, CBOR under
/// ``CBORLimits``, JSON under fixed limits of the same size. Hostile input is refused with a
/// ``SenMLError`` rather than a crash, an unbounded allocation or a value other than the one sent.
/// Resolution (``resolved(now:)``) applies the rules on what a reading holds: records with values,
/// names, units and times within bounds. `docs/senml.md` lists every rule.
public struct SenMLPack: Sendable, Hashable {
    public var records: [SenMLRecord]

    /// The default bound on records per pack.
    public static let defaultMaxRecords = 256

    public init(_ records: [SenMLRecord]) { self.records = records }
}
