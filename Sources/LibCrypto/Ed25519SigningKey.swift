internal import CLibCrypto

/// An Ed25519 private key (RFC 8032, pure EdDSA).
///
/// `description` never shows key material.
public struct Ed25519SigningKey: Sendable, CustomStringConvertible {
    let key: EVPKey

    /// Generates a new random key.
    public init() throws {
        key = try EVPKey.generate(.ed25519)
    }

    /// Parses a PEM "PRIVATE KEY" (PKCS #8) holding an Ed25519 key.
    public init(pemRepresentation: String) throws {
        key = try EVPKey.fromPrivatePEM(pemRepresentation, as: .ed25519)
    }

    /// Takes the 32-byte private seed (RFC 8032 §5.1.5).
    public init(rawRepresentation seed: SecureBytes) throws {
        guard seed.count == 32 else {
            throw CryptoError(.invalidKey, "an Ed25519 private key is 32 bytes, got \(seed.count)")
        }
        let pointer = seed.withUnsafeBytes {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.uint8Pointer, $0.count)
        }
        guard let pointer else {
            throw CryptoError.openSSL(.invalidKey, "cannot load Ed25519 private key")
        }
        key = try EVPKey.adopt(pointer, as: .ed25519)
    }

    /// The key as PKCS #8 PEM. This text is secret: store it like the key itself.
    public func exportPEM() throws -> String {
        try key.privatePEM()
    }

    /// The matching public key.
    public func publicKey() throws -> Ed25519VerifyingKey {
        Ed25519VerifyingKey(key: try key.publicKey())
    }

    /// Signs `data`; returns the 64-byte signature (deterministic).
    public func signature(for data: some RandomAccessCollection<UInt8>) throws -> [UInt8] {
        try key.sign(data)
    }

    public var description: String { "Ed25519SigningKey(redacted)" }
}
