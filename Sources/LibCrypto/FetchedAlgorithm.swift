internal import CLibCrypto

/// OpenSSL algorithm objects fetched once per process.
///
/// In OpenSSL 3, passing `EVP_aes_128_ccm()`-style objects makes every init fetch the provider
/// implementation again; fetching once and reusing the object avoids that cost on hot paths.
// @unchecked Sendable: fetched EVP_CIPHER/EVP_MD/EVP_KDF objects are immutable and documented thread-safe.
final class FetchedAlgorithm: @unchecked Sendable {
    let pointer: OpaquePointer?
    let name: String

    private init(pointer: OpaquePointer?, name: String) {
        self.pointer = pointer
        self.name = name
    }

    static func cipher(_ name: StaticString) -> FetchedAlgorithm {
        FetchedAlgorithm(pointer: EVP_CIPHER_fetch(nil, cString(name), nil), name: "\(name)")
    }

    static func digest(_ name: StaticString) -> FetchedAlgorithm {
        FetchedAlgorithm(pointer: EVP_MD_fetch(nil, cString(name), nil), name: "\(name)")
    }

    static func kdf(_ name: StaticString) -> FetchedAlgorithm {
        FetchedAlgorithm(pointer: EVP_KDF_fetch(nil, cString(name), nil), name: "\(name)")
    }

    /// The fetched object, or an error naming the algorithm if the provider lacks it.
    func require() throws -> OpaquePointer {
        guard let pointer else {
            throw CryptoError.openSSL(.internalFailure, "OpenSSL provides no \(name)")
        }
        return pointer
    }

    static let aes128CCM = cipher("AES-128-CCM")
    static let aes192CCM = cipher("AES-192-CCM")
    static let aes256CCM = cipher("AES-256-CCM")
    static let aes128GCM = cipher("AES-128-GCM")
    static let aes192GCM = cipher("AES-192-GCM")
    static let aes256GCM = cipher("AES-256-GCM")
    static let sha256 = digest("SHA2-256")
    static let hkdf = kdf("HKDF")
}

/// A C string pointer for a literal; valid for the life of the process.
@inline(__always)
func cString(_ string: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
}
