internal import LibCrypto

/// The fleet's firmware signing key: a P-256 or Ed25519 private key, kept by the admin (never in
/// the registry, which holds only ``SUITTrustAnchor``s).
///
/// `description` never shows key material.
public struct FirmwareSigningKey: Sendable, CustomStringConvertible {
    private enum Key: Sendable {
        case p256(P256SigningKey)
        case ed25519(Ed25519SigningKey)
    }

    private let key: Key

    /// A new random key of `kind`.
    public init(generating kind: FirmwareKeyKind) throws {
        do {
            key = kind == .p256 ? .p256(try P256SigningKey()) : .ed25519(try Ed25519SigningKey())
        } catch {
            throw SUITError(.invalidKey, "cannot generate a \(kind) key: \(error)")
        }
    }

    /// Reads a PEM "PRIVATE KEY" (PKCS #8, or SEC 1 "EC PRIVATE KEY") of either kind.
    public init(pemRepresentation pem: String) throws {
        if let p256 = try? P256SigningKey(pemRepresentation: pem) {
            key = .p256(p256)
        } else if let ed25519 = try? Ed25519SigningKey(pemRepresentation: pem) {
            key = .ed25519(ed25519)
        } else {
            throw SUITError(.invalidKey, "not a PEM private key on P-256 or Ed25519")
        }
    }

    /// The key's kind.
    public var kind: FirmwareKeyKind {
        switch key {
        case .p256: .p256
        case .ed25519: .ed25519
        }
    }

    /// The algorithm this key signs with: ES256 or EdDSA (the identifiers every COSE library knows).
    public var algorithm: SUITSignatureAlgorithm { kind == .p256 ? .es256 : .edDSA }

    /// The private key as PEM. This text is secret.
    public func exportPEM() throws -> String {
        do {
            switch key {
            case .p256(let key): return try key.exportPEM()
            case .ed25519(let key): return try key.exportPEM()
            }
        } catch {
            throw SUITError(.invalidKey, "cannot export the signing key: \(error)")
        }
    }

    /// The public key, as the trust anchor a device and the registry are given.
    public func trustAnchor() throws -> SUITTrustAnchor {
        do {
            switch key {
            case .p256(let key): return try SUITTrustAnchor(key.publicKey())
            case .ed25519(let key): return try SUITTrustAnchor(key.publicKey())
            }
        } catch {
            throw SUITError(.invalidKey, "cannot derive the public key: \(error)")
        }
    }

    /// A signature over `data` in COSE form (r ‖ s for ECDSA).
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        do {
            switch key {
            case .p256(let key): return try key.signature(for: data).rawRepresentation
            case .ed25519(let key): return try key.signature(for: data)
            }
        } catch {
            throw SUITError(.invalidKey, "signing failed: \(error)")
        }
    }

    public var description: String { "FirmwareSigningKey(\(kind), redacted)" }
}
