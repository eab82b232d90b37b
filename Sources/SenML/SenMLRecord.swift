/// One SenML record (RFC 8428 §4), as written on the wire: base fields apply to it and to the
/// records after it. ``SenMLPack/resolved(now:)`` turns a pack into self-contained records.
public struct SenMLRecord: Sendable, Hashable {
    public var baseName: String?
    public var baseTime: Double?
    public var baseUnit: String?
    public var baseValue: Double?
    /// Added to the sum of this record and of the records after it (RFC 8428 §4.5.4).
    public var baseSum: Double?
    public var name: String?
    public var unit: String?
    public var value: Double?
    public var stringValue: String?
    public var boolValue: Bool?
    public var dataValue: [UInt8]?
    public var sum: Double?
    /// Seconds; with a base time, relative to it. Values below 2²⁸ are relative to "now" (§4.5.3).
    public var time: Double?

    public init(
        baseName: String? = nil, baseTime: Double? = nil, baseUnit: String? = nil, baseValue: Double? = nil,
        baseSum: Double? = nil, name: String? = nil, unit: String? = nil, value: Double? = nil, stringValue: String? = nil,
        boolValue: Bool? = nil, dataValue: [UInt8]? = nil, sum: Double? = nil, time: Double? = nil
    ) {
        self.baseName = baseName
        self.baseTime = baseTime
        self.baseUnit = baseUnit
        self.baseValue = baseValue
        self.baseSum = baseSum
        self.name = name
        self.unit = unit
        self.value = value
        self.stringValue = stringValue
        self.boolValue = boolValue
        self.dataValue = dataValue
        self.sum = sum
        self.time = time
    }

    /// True when the record carries a value of some kind.
    public var hasValue: Bool { value != nil || stringValue != nil || boolValue != nil || dataValue != nil || sum != nil }

    /// How many of `v`, `vs`, `vb` and `vd` the record carries; RFC 8428 §4.2 allows at most one.
    var valueFieldCount: Int {
        (value == nil ? 0 : 1) + (stringValue == nil ? 0 : 1) + (boolValue == nil ? 0 : 1) + (dataValue == nil ? 0 : 1)
    }
}
