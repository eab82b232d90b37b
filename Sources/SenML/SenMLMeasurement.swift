/// A resolved record (RFC 8428 §4.6): full name, absolute time, one value.
public struct SenMLMeasurement: Sendable, Hashable {
    public var name: String
    public var unit: String?
    public var value: Double?
    public var stringValue: String?
    public var boolValue: Bool?
    public var dataValue: [UInt8]?
    public var sum: Double?
    /// Seconds since the Unix epoch.
    public var time: Double

    public init(
        name: String, unit: String? = nil, value: Double? = nil, stringValue: String? = nil, boolValue: Bool? = nil,
        dataValue: [UInt8]? = nil, sum: Double? = nil, time: Double
    ) {
        self.name = name
        self.unit = unit
        self.value = value
        self.stringValue = stringValue
        self.boolValue = boolValue
        self.dataValue = dataValue
        self.sum = sum
        self.time = time
    }

    /// The measurement as a self-contained record (`n` is the full name, `t` absolute).
    public var record: SenMLRecord {
        SenMLRecord(name: name, unit: unit, value: value, stringValue: stringValue, boolValue: boolValue,
                    dataValue: dataValue, sum: sum, time: time)
    }
}
