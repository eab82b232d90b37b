/// Partial IV ↔ sequence number, and nonce construction (RFC 9052 §3.1, as OSCORE does it).
enum PartialIV {
    /// The minimal Partial IV length for `sequenceNumber` (1...8 bytes; at most 5 below 2⁴⁰).
    static func length(of sequenceNumber: UInt64) -> Int {
        sequenceNumber == 0 ? 1 : (64 - sequenceNumber.leadingZeroBitCount + 7) / 8
    }

    /// Big-endian, minimal length; 0 encodes as one 0x00 byte. `sequenceNumber` must be < 2⁴⁰.
    static func encode(_ sequenceNumber: UInt64) -> [UInt8] {
        let length = length(of: sequenceNumber)
        var bytes = [UInt8](repeating: 0, count: length)
        for i in 0..<length {
            bytes[length - 1 - i] = UInt8(truncatingIfNeeded: sequenceNumber >> UInt64(i * 8))
        }
        return bytes
    }

    /// The sequence number of a Partial IV, which must be 1...5 bytes and minimal
    /// (no leading zero byte unless it is the single byte 0x00).
    static func decode(_ bytes: some Collection<UInt8>) throws -> UInt64 {
        guard (1...5).contains(bytes.count) else {
            throw SealingError(.malformed, "Partial IV must be 1 to 5 bytes, got \(bytes.count)")
        }
        guard bytes.count == 1 || bytes.first != 0 else {
            throw SealingError(.malformed, "Partial IV is not minimal-length")
        }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    /// Writes the nonce for `sequenceNumber` into `nonce` (as long as `baseIV`): the minimal Partial
    /// IV left-padded with zeros is the sequence number in big-endian, so it is XORed into the last
    /// eight bytes.
    static func writeNonce(sequenceNumber: UInt64, baseIV: [UInt8], into nonce: UnsafeMutableBufferPointer<UInt8>) {
        let count = baseIV.count
        for i in 0..<count {
            let shift = count - 1 - i
            let byte: UInt8 = shift < 8 ? UInt8(truncatingIfNeeded: sequenceNumber >> UInt64(shift * 8)) : 0
            nonce[i] = baseIV[i] ^ byte
        }
    }

    /// The AEAD nonce: `partialIV` left-padded with zeros to the Base IV's length, XORed with it.
    static func nonce(partialIV: some Collection<UInt8>, baseIV: [UInt8]) -> [UInt8] {
        var nonce = baseIV
        var index = nonce.count - partialIV.count
        for byte in partialIV {
            nonce[index] ^= byte
            index += 1
        }
        return nonce
    }
}
