internal import CLibCrypto

/// HMAC-SHA256 (RFC 2104) message authentication codes.
public enum HMACSHA256 {
    /// The code length in bytes (32).
    public static let codeLength = 32

    /// Computes the HMAC of `data` under `key`. An empty key is allowed.
    public static func authenticationCode(
        for data: some RandomAccessCollection<UInt8>,
        key: SecureBytes
    ) throws -> [UInt8] {
        try key.withUnsafeBytes { keyBuffer in
            try compute(key: keyBuffer, data: data)
        }
    }

    /// Computes the HMAC of `data` under a key held in an ordinary array.
    public static func authenticationCode(
        for data: some RandomAccessCollection<UInt8>,
        key: [UInt8]
    ) throws -> [UInt8] {
        try withBytes(key) { keyBuffer in
            try compute(key: keyBuffer, data: data)
        }
    }

    /// Checks `code` against the HMAC of `data` in constant time.
    public static func isValidAuthenticationCode(
        _ code: [UInt8],
        for data: some RandomAccessCollection<UInt8>,
        key: SecureBytes
    ) throws -> Bool {
        let expected = try authenticationCode(for: data, key: key)
        guard code.count == expected.count else { return false }
        return CRYPTO_memcmp(code, expected, expected.count) == 0
    }

    private static func compute(
        key: UnsafeRawBufferPointer,
        data: some RandomAccessCollection<UInt8>
    ) throws -> [UInt8] {
        let md = try FetchedAlgorithm.sha256.require()
        var out = [UInt8](repeating: 0, count: codeLength)
        var length: UInt32 = 0
        let ok = withBytes(data) { input in
            out.withUnsafeMutableBufferPointer { outBuffer in
                HMAC(md, key.baseAddress, Int32(key.count), input.uint8Pointer, input.count,
                     outBuffer.baseAddress, &length) != nil
            }
        }
        guard ok, length == codeLength else {
            throw CryptoError.openSSL(.internalFailure, "HMAC-SHA256 failed")
        }
        return out
    }
}
