internal import CLibCrypto

/// An Ed25519 public key.
public struct Ed25519VerifyingKey: Sendable, CustomStringConvertible {
    let key: EVPKey

    init(key: EVPKey) { self.key = key }

    /// Parses a PEM "PUBLIC KEY" holding an Ed25519 key.
    public init(pemRepresentation: String) throws {
        key = try EVPKey.fromPublicPEM(pemRepresentation, as: .ed25519)
    }

    /// Takes the 32-byte raw public key (as COSE OKP keys carry it in `x`).
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else {
            throw CryptoError(.invalidKey, "an Ed25519 public key is 32 bytes, got \(rawRepresentation.count)")
        }
        let pointer = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
        }
        guard let pointer else {
            throw CryptoError.openSSL(.invalidKey, "cannot load Ed25519 public key")
        }
        key = try EVPKey.adopt(pointer, as: .ed25519)
    }

    /// The key as PEM "PUBLIC KEY".
    public func exportPEM() throws -> String {
        try key.publicPEM()
    }

    /// The 32-byte raw public key.
    public func rawRepresentation() throws -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: 32)
        var length = raw.count
        let ok = raw.withUnsafeMutableBufferPointer {
            EVP_PKEY_get_raw_public_key(key.pointer, $0.baseAddress, &length) == 1
        }
        guard ok, length == 32 else {
            throw CryptoError.openSSL(.internalFailure, "cannot export Ed25519 public key")
        }
        return raw
    }

    /// Whether `signature` (64 bytes) is a valid Ed25519 signature over `data`.
    public func isValidSignature(_ signature: [UInt8], for data: some RandomAccessCollection<UInt8>) -> Bool {
        guard signature.count == 64 else { return false }
        return key.verify(signature, for: data)
    }

    public var description: String { "Ed25519VerifyingKey" }
}
