/// The value of a Block1 or Block2 option (RFC 7959 §2.2): block number, more flag, size exponent.
public struct CoAPBlockOption: Hashable, Sendable, CustomStringConvertible {
    /// The block number (up to 2^20 - 1).
    public var number: UInt32
    /// `true` when more blocks follow.
    public var more: Bool
    /// Size exponent: the block size is 2^(szx + 4), 16 to 1024 bytes.
    public var szx: UInt8

    public init(number: UInt32, more: Bool, szx: UInt8) {
        self.number = number
        self.more = more
        self.szx = szx
    }

    /// The block size in bytes.
    public var size: Int { 1 << (Int(szx) + 4) }

    /// The size exponent for a block size of 16...1024 bytes (rounded down to a power of two).
    public static func szx(forSize size: Int) -> UInt8 {
        var s = 16
        var szx: UInt8 = 0
        while s * 2 <= min(size, 1024) { s *= 2; szx += 1 }
        return szx
    }

    /// Decodes an option's value.
    public init?(option: CoAPOption) {
        guard option.value.count <= 3, let v = option.uintValue else { return nil }
        self.number = UInt32(v >> 4)
        self.more = v & 0x8 != 0
        self.szx = UInt8(v & 0x7)
        if szx == 7 { return nil }
    }

    /// Encodes into an option with the given number (Block1 or Block2).
    public func option(_ number: CoAPOptionNumber) -> CoAPOption {
        CoAPOption(number, uint: UInt64(self.number) << 4 | (more ? 8 : 0) | UInt64(szx))
    }

    public var description: String { "\(number)/\(more ? 1 : 0)/\(size)" }
}
