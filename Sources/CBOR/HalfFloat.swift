/// IEEE 754 half-precision conversions (RFC 8949 Appendix D), without relying on `Float16`,
/// which is not available on every platform.
enum HalfFloat {
    /// The value of a half-precision bit pattern.
    static func decode(_ half: UInt16) -> Double {
        let exponent = Int((half >> 10) & 0x1F)
        let mantissa = Double(half & 0x3FF)
        let magnitude: Double
        switch exponent {
        case 0: magnitude = mantissa * 0x1p-24
        case 31: magnitude = mantissa == 0 ? .infinity : .nan
        default: magnitude = (1024 + mantissa) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
        return half & 0x8000 != 0 ? -magnitude : magnitude
    }

    /// The half-precision bit pattern that holds `value` exactly, if there is one. NaN maps to the
    /// canonical quiet NaN 0x7E00.
    static func encodeExactly(_ value: Double) -> UInt16? {
        if value.isNaN { return 0x7E00 }
        let float = Float(value)
        guard Double(float) == value else { return nil }
        let bits = float.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if float.isInfinite { return sign | 0x7C00 }
        if float == 0 { return sign }
        let exponent = Int((bits >> 23) & 0xFF) - 127
        let significand = (bits & 0x7F_FFFF) | 0x80_0000   // float subnormals are far below half range
        if (-14...15).contains(exponent) {
            guard significand & 0x1FFF == 0 else { return nil }
            return sign | UInt16(exponent + 15) << 10 | UInt16((significand >> 13) & 0x3FF)
        }
        if (-24 ... -15).contains(exponent) {
            let shift = UInt32(-(exponent + 1))
            guard significand & ((1 << shift) - 1) == 0 else { return nil }
            return sign | UInt16(significand >> shift)
        }
        return nil
    }
}
