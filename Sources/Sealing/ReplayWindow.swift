/// The receiver's replay state for one kid: the highest sequence number accepted and a 64-entry
/// sliding window below it, as OSCORE keeps it (RFC 8613 §7.4, the RFC 4303 §3.4.3 algorithm).
///
/// A small value type, so a gateway can persist it next to the data it commits and restore it
/// with ``init(highest:bitmap:)`` after a restart.
public struct ReplayWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The window size (64).
    public static let size: UInt64 = 64

    /// The highest sequence number recorded, or `nil` if none yet.
    public private(set) var highest: UInt64?
    /// Bit *i* is set when `highest − i` has been recorded (bit 0 is `highest` itself).
    public private(set) var bitmap: UInt64

    /// An empty window: every sequence number is fresh.
    public init() {
        highest = nil
        bitmap = 0
    }

    /// Restores a persisted window. With `highest == nil` the bitmap is ignored.
    public init(highest: UInt64?, bitmap: UInt64) {
        self.highest = highest
        self.bitmap = highest == nil ? 0 : bitmap | 1
    }

    /// Whether `sequenceNumber` would be accepted: above ``highest``, or within the window and not
    /// yet recorded. Numbers 64 or more below ``highest`` are refused.
    public func isFresh(_ sequenceNumber: UInt64) -> Bool {
        guard let highest else { return true }
        if sequenceNumber > highest { return true }
        let distance = highest - sequenceNumber
        guard distance < Self.size else { return false }
        return bitmap & (1 << distance) == 0
    }

    /// Marks `sequenceNumber` as seen, sliding the window if it is the new highest.
    /// Returns `false`, changing nothing, if it was not fresh.
    @discardableResult
    public mutating func record(_ sequenceNumber: UInt64) -> Bool {
        guard isFresh(sequenceNumber) else { return false }
        guard let current = highest else {
            highest = sequenceNumber
            bitmap = 1
            return true
        }
        if sequenceNumber > current {
            let shift = sequenceNumber - current
            bitmap = shift >= Self.size ? 1 : (bitmap << shift) | 1
            highest = sequenceNumber
        } else {
            bitmap |= 1 << (current - sequenceNumber)
        }
        return true
    }

    /// A window that refuses everything either refuses: the higher ``highest``, and every number
    /// recorded in either window that is still within 64 of it. For two copies of one kid's state
    /// of which either may be the newer.
    public func merged(with other: ReplayWindow) -> ReplayWindow {
        guard let mine = highest else { return other }
        guard let theirs = other.highest else { return self }
        let top = max(mine, theirs)
        func aligned(_ highest: UInt64, _ bitmap: UInt64) -> UInt64 {
            let shift = top - highest
            return shift >= Self.size ? 0 : bitmap << shift
        }
        return ReplayWindow(highest: top, bitmap: aligned(mine, bitmap) | aligned(theirs, other.bitmap))
    }

    public var description: String {
        guard let highest else { return "ReplayWindow(empty)" }
        return "ReplayWindow(highest: \(highest), bitmap: 0x\(String(bitmap, radix: 16)))"
    }
}
