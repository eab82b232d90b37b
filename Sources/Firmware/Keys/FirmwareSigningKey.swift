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

    /// The key, as a P-256 or Ed25519 key (exactly one is set). Not an enum with a payload per
    /// kind: Swift keeps such an enum's case in spare bits of the object pointer, which
    /// LeakSanitizer cannot follow, so a key held by a global was reported as leaked.
    private let p256: P256SigningKey?
    private let ed25519: Ed25519SigningKey?

    private var key: Key { p256.map(Key.p256) ?? .ed25519(ed25519!) }

    private init(_ key: Key) {
        switch key {
        case .p256(let key): (p256, ed25519) = (key, nil)
        case .ed25519(let key): (p256, ed25519) = (nil, key)
        }
    }

    /// A new random key of `kind`.
    public init(generating kind: FirmwareKeyKind) throws {
        do {
            self.init(kind == .p256 ? .p256(try P256SigningKey()) : .ed25519(try Ed25519SigningKey()))
        } catch {
            throw SUITError(.invalidKey, "cannot generate a \(kind) key: \(error)")
        }
    }

    /// Reads a PEM "PRIVATE KEY" (PKCS #8, or SEC 1 "EC PRIVATE KEY") of either kind.
    public init(pemRepresentation pem: String) throws {
        if let p256 = try? P256SigningKey(pemRepresentation: pem) {
            self.init(.p256(p256))
        } else if let ed25519 = try? Ed25519SigningKey(pemRepresentation: pem) {
            self.init(.ed25519(ed25519))
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
