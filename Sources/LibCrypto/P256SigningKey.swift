/// An ECDSA P-256 private key (ES256 signing: ECDSA with SHA-256).
///
/// `description` never shows key material.
public struct P256SigningKey: Sendable, CustomStringConvertible {
    let key: EVPKey

    /// Generates a new random key.
    public init() throws {
        key = try EVPKey.generate(.p256)
    }

    /// Parses a PEM private key (PKCS #8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY") on curve P-256.
    public init(pemRepresentation: String) throws {
        key = try EVPKey.fromPrivatePEM(pemRepresentation, as: .p256)
    }

    /// The key as PKCS #8 PEM. This text is secret: store it like the key itself.
    public func exportPEM() throws -> String {
        try key.privatePEM()
    }

    /// The matching public key.
    public func publicKey() throws -> P256VerifyingKey {
        P256VerifyingKey(key: try key.publicKey())
    }

    /// Signs `data` (hashed with SHA-256 inside). ECDSA signatures are randomized.
    public func signature(for data: some RandomAccessCollection<UInt8>) throws -> ECDSASignature {
        try ECDSASignature(derRepresentation: key.sign(data))
    }

    public var description: String { "P256SigningKey(redacted)" }
}
