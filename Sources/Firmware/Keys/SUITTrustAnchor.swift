internal import Foundation
internal import LibCrypto

/// A public key allowed to sign firmware: what a device is given at provisioning and what the
/// registry holds. P-256 (ES256, ESP256) or Ed25519 (EdDSA, Ed25519).
public struct SUITTrustAnchor: Sendable, Hashable, CustomStringConvertible {
    private enum Key: Sendable {
        case p256(P256VerifyingKey)
        case ed25519(Ed25519VerifyingKey)
    }

    /// Exactly one is set; two optionals rather than an enum with a payload per kind, for the
    /// reason given in ``FirmwareSigningKey``.
    private let p256: P256VerifyingKey?
    private let ed25519: Ed25519VerifyingKey?

    private var key: Key { p256.map(Key.p256) ?? .ed25519(ed25519!) }
    /// The key as PEM "PUBLIC KEY" (SubjectPublicKeyInfo).
    public let pemRepresentation: String
    /// SHA-256 of the DER SubjectPublicKeyInfo, hex: names the key in listings and audit entries.
    public let fingerprint: String

    init(_ key: P256VerifyingKey) throws {
        try self.init(key: .p256(key), pem: key.exportPEM())
    }

    init(_ key: Ed25519VerifyingKey) throws {
        try self.init(key: .ed25519(key), pem: key.exportPEM())
    }

    private init(key: Key, pem: String) throws {
        switch key {
        case .p256(let key): (p256, ed25519) = (key, nil)
        case .ed25519(let key): (p256, ed25519) = (nil, key)
        }
        pemRepresentation = pem
        fingerprint = try Self.fingerprint(ofPEM: pem)
    }

    /// Reads a PEM "PUBLIC KEY" on P-256 or Ed25519.
    public init(pemRepresentation pem: String) throws {
        if let p256 = try? P256VerifyingKey(pemRepresentation: pem) {
            try self.init(key: .p256(p256), pem: p256.exportPEM())
        } else if let ed25519 = try? Ed25519VerifyingKey(pemRepresentation: pem) {
            try self.init(key: .ed25519(ed25519), pem: ed25519.exportPEM())
        } else {
            throw SUITError(.invalidKey, "not a PEM public key on P-256 or Ed25519")
        }
    }

    /// A P-256 public key from its uncompressed point `0x04 ‖ x ‖ y` (65 bytes), as COSE keys and
    /// published test vectors carry it.
    public init(p256Point point: [UInt8]) throws {
        do {
            try self.init(P256VerifyingKey(x963Representation: point))
        } catch let error as SUITError {
            throw error
        } catch {
            throw SUITError(.invalidKey, "not a P-256 public point: \(error)")
        }
    }

    /// The key's kind.
    public var kind: FirmwareKeyKind {
        switch key {
        case .p256: .p256
        case .ed25519: .ed25519
        }
    }

    /// Whether `signature` is `algorithm`'s valid signature by this key over `data`. An algorithm
    /// of the other key type is never valid.
    func isValidSignature(_ signature: [UInt8], algorithm: SUITSignatureAlgorithm, for data: [UInt8]) -> Bool {
        guard algorithm.isUsable(with: kind) else { return false }
        switch key {
        case .p256(let key):
            guard let signature = try? ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(signature, for: data)
        case .ed25519(let key):
            return key.isValidSignature(signature, for: data)
        }
    }

    private static func fingerprint(ofPEM pem: String) throws -> String {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: body) else { throw SUITError(.invalidKey, "the public key's PEM is not base64") }
        do {
            return Hex.encode(try SHA256.hash(Array(der)))
        } catch {
            throw SUITError(.invalidKey, "cannot hash the public key: \(error)")
        }
    }

    public static func == (lhs: SUITTrustAnchor, rhs: SUITTrustAnchor) -> Bool { lhs.fingerprint == rhs.fingerprint }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }

    /// The kind and the fingerprint's first 16 hex digits.
    public var description: String { "\(kind) \(fingerprint.prefix(16))" }
}
