import Foundation

extension Date {
    /// Milliseconds since 1970, the precision the registry stores times with. Rounded down, so a
    /// stored not-after set to "now" is already in the past when read back; the 1 µs nudge keeps a
    /// date made from whole milliseconds on the same millisecond despite binary floating point.
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000 + 0.001).rounded(.down)) }

    /// A date from milliseconds since 1970.
    init(millisecondsSince1970 ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }

    /// This date rounded down to the stored precision, so what is written equals what is read back.
    var roundedToMilliseconds: Date { Date(millisecondsSince1970: millisecondsSince1970) }
}

extension Device {
    /// The device with its times at the stored precision.
    var rounded: Device {
        var copy = self
        copy.createdAt = createdAt.roundedToMilliseconds
        copy.updatedAt = updatedAt.roundedToMilliseconds
        copy.lastSeen = lastSeen?.roundedToMilliseconds
        return copy
    }
}

extension Credential {
    /// The credential with its times at the stored precision.
    var rounded: Credential {
        var copy = self
        copy.createdAt = createdAt.roundedToMilliseconds
        copy.updatedAt = updatedAt.roundedToMilliseconds
        copy.notBefore = notBefore?.roundedToMilliseconds
        copy.notAfter = notAfter?.roundedToMilliseconds
        return copy
    }
}
