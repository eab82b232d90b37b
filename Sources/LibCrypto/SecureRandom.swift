internal import CLibCrypto

/// Cryptographically secure random bytes from OpenSSL (`RAND_bytes`).
public enum SecureRandom {
    /// Returns `count` random bytes. For key material prefer ``SecureBytes/random(count:)``.
    public static func bytes(count: Int) throws -> [UInt8] {
        guard count >= 0 else {
            throw CryptoError(.invalidParameter, "random byte count must not be negative")
        }
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { try fill($0) }
        return result
    }

    /// Fills `buffer` with random bytes. The pointer is used only during the call.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let chunk = Swift.min(buffer.count - offset, Int(Int32.max))
            let start = buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            guard RAND_bytes(start, Int32(chunk)) == 1 else {
                throw CryptoError.openSSL(.randomFailure, "RAND_bytes failed")
            }
            offset += chunk
        }
    }
}
