import Foundation

extension SenMLPack {
    /// The longest full name (base name and name) accepted, in bytes.
    public static let maxNameLength = 256
    /// The longest unit accepted, in bytes.
    public static let maxUnitLength = 64
    /// Times below 2²⁸ are relative to "now" (RFC 8428 §4.5.3); none is accepted that is this many
    /// seconds (about 8.5 years) or more in the past either.
    public static let relativeTimeLimit: Double = 268_435_456
    /// Resolved times lie in 0 ..< this: from the epoch to the end of year 9999, UTC. `bt` and `t`
    /// each lie strictly within ± this.
    public static let timeLimit: Double = 253_402_300_800

    // MARK: Resolution (RFC 8428 §4.6)

    /// Self-contained measurements: base name prepended, base time added, base unit applied, base
    /// value added to `v` (or standing for it in a record with no value of its own), base sum
    /// added to `s` (RFC 8428 §4.5.4), relative times (below 2²⁸) taken from `now`.
    ///
    /// This is where a pack becomes readings, so it refuses what a reading must not be: a pack
    /// without records (RFC 8428 §3: a pack has one or more); a record without a value or a sum
    /// (§4.2); more than one of `v`, `vs`, `vb`, `vd` in a record (§4.2); a name outside §4.5.1's
    /// characters, longer than ``maxNameLength``, or with an empty, `.` or `..` segment between
    /// slashes; a unit longer than ``maxUnitLength``; a time outside ``timeLimit`` or, relative,
    /// more than ``relativeTimeLimit`` in the past; a value or sum that is not finite.
    public func resolved(now: Double? = nil) throws(SenMLError) -> [SenMLMeasurement] {
        guard !records.isEmpty else { throw SenMLError(.invalidRecord, "a SenML pack has at least one record (RFC 8428 §3)") }
        let now = now ?? Date().timeIntervalSince1970
        var baseName = "", baseTime = 0.0, baseUnit: String?, baseValue: Double?, baseSum: Double?
        var out: [SenMLMeasurement] = []
        out.reserveCapacity(records.count)
        for record in records {
            if let bn = record.baseName { baseName = bn }
            if let bt = record.baseTime { baseTime = bt }
            if let bu = record.baseUnit { baseUnit = bu }
            if let bv = record.baseValue { baseValue = bv }
            if let bs = record.baseSum { baseSum = bs }
            try Self.checkValueFields(record)
            var value = record.value.map { $0 + (baseValue ?? 0) }
            if record.valueFieldCount == 0, record.sum == nil { value = baseValue }
            let sum = record.sum == nil && baseSum == nil ? nil : (record.sum ?? 0) + (baseSum ?? 0)
            guard value != nil || record.stringValue != nil || record.boolValue != nil || record.dataValue != nil || sum != nil else {
                throw SenMLError(.invalidRecord, "a record has no value: RFC 8428 §4.2 asks for one of v, vs, vb, vd, or a sum")
            }
            guard value?.isFinite ?? true, sum?.isFinite ?? true else {
                throw SenMLError(.invalidRecord, "a record's value or sum is not a finite number")
            }
            let name = baseName + (record.name ?? "")
            try Self.checkName(name)
            let unit = record.unit ?? baseUnit
            guard (unit?.utf8.count ?? 0) <= Self.maxUnitLength else {
                throw SenMLError(.invalidRecord, "a record's unit has more than \(Self.maxUnitLength) bytes")
            }
            out.append(SenMLMeasurement(
                name: name, unit: unit, value: value, stringValue: record.stringValue, boolValue: record.boolValue,
                dataValue: record.dataValue, sum: sum, time: try Self.resolvedTime(base: baseTime, time: record.time, now: now)))
        }
        return out
    }

    /// RFC 8428 §4.5.1: `[A-Za-z0-9][-:./_A-Za-z0-9]*`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first.isAlnum else { return false }
        return name.utf8.allSatisfy { $0.isAlnum || $0 == 0x2D || $0 == 0x3A || $0 == 0x2E || $0 == 0x2F || $0 == 0x5F }
    }

    /// Throws unless `name` is a full name that ``resolved(now:)`` accepts: RFC 8428 §4.5.1's
    /// characters (``isValidName(_:)``), at most ``maxNameLength`` bytes, and, split on `/`, no
    /// empty, `.` or `..` segment: names are paths under the device (`<device>/...`), and such a
    /// segment would name a path outside it or one that another spelling also names.
    public static func checkName(_ name: String) throws(SenMLError) {
        guard name.utf8.count <= maxNameLength else {
            throw SenMLError(.invalidRecord, "a record's name has more than \(maxNameLength) bytes")
        }
        guard isValidName(name) else {
            throw SenMLError(.invalidRecord, "a record's name is empty or has characters RFC 8428 §4.5.1 does not allow")
        }
        for segment in name.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard segment.count > 2 || !segment.allSatisfy({ $0 == UInt8(ascii: ".") }) else {
                throw SenMLError(.invalidRecord, "a record's name has an empty, '.' or '..' segment between slashes")
            }
        }
    }

    /// RFC 8428 §4.5.3: the time is `bt + t`; from 2²⁸ on it is absolute, below it relative to `now`.
    static func resolvedTime(base: Double, time: Double?, now: Double) throws(SenMLError) -> Double {
        let offset = time ?? 0
        guard base.magnitude < timeLimit, offset.magnitude < timeLimit else {
            throw SenMLError(.invalidRecord, "a record's bt or t is not a number of seconds within year 9999")
        }
        let sum = base + offset
        var resolved = sum
        if sum < relativeTimeLimit {
            guard sum > -relativeTimeLimit else {
                throw SenMLError(.invalidRecord, "a record's relative time is 2^28 seconds or more in the past")
            }
            resolved += now
        }
        guard resolved >= 0, resolved < timeLimit else {
            throw SenMLError(.invalidRecord, "a record's time is before 1970 or after year 9999")
        }
        return resolved
    }
}

extension UInt8 {
    var isAlnum: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
