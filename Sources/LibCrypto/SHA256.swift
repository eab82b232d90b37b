internal import CLibCrypto

/// SHA-256 (FIPS 180-4), one-shot or incremental.
///
/// ```swift
/// let digest = try SHA256.hash(bytes)
///
/// var hasher = try SHA256()
/// hasher.update(part1)
/// hasher.update(part2)
/// let digest2 = try hasher.finalize()
/// ```
public struct SHA256: ~Copyable {
    /// The digest length in bytes (32).
    public static let digestLength = 32

    private let context: OpaquePointer
    private var failed = false

    /// Starts an incremental hash.
    public init() throws {
        let md = try FetchedAlgorithm.sha256.require()
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.openSSL(.internalFailure, "EVP_MD_CTX_new failed")
        }
        guard EVP_DigestInit_ex(context, md, nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw CryptoError.openSSL(.internalFailure, "EVP_DigestInit_ex(SHA-256) failed")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Adds `bytes` to the hash. A failure inside OpenSSL is reported by ``finalize()``.
    public mutating func update(_ bytes: some RandomAccessCollection<UInt8>) {
        let ok = withBytes(bytes) { buffer in
            buffer.isEmpty || EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1
        }
        if !ok { failed = true }
    }

    /// Finishes the hash and returns the 32-byte digest.
    public consuming func finalize() throws -> [UInt8] {
        guard !failed else {
            throw CryptoError.openSSL(.internalFailure, "EVP_DigestUpdate(SHA-256) failed")
        }
        var digest = [UInt8](repeating: 0, count: Self.digestLength)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer {
            EVP_DigestFinal_ex(context, $0.baseAddress, &length) == 1
        }
        guard ok, length == Self.digestLength else {
            throw CryptoError.openSSL(.internalFailure, "EVP_DigestFinal_ex(SHA-256) failed")
        }
        return digest
    }

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: some RandomAccessCollection<UInt8>) throws -> [UInt8] {
        let md = try FetchedAlgorithm.sha256.require()
        var digest = [UInt8](repeating: 0, count: digestLength)
        var length: UInt32 = 0
        let ok = withBytes(bytes) { input in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, md, nil) == 1
            }
        }
        guard ok, length == digestLength else {
            throw CryptoError.openSSL(.internalFailure, "EVP_Digest(SHA-256) failed")
        }
        return digest
    }
}
