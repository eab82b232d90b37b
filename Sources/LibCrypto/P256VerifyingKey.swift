/// An ECDSA P-256 public key (ES256 verification).
public struct P256VerifyingKey: Sendable, CustomStringConvertible {
    let key: EVPKey

    init(key: EVPKey) { self.key = key }

    /// DER SubjectPublicKeyInfo prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
    private static let spkiPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    /// Parses a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) on curve P-256.
    public init(pemRepresentation: String) throws {
        key = try EVPKey.fromPublicPEM(pemRepresentation, as: .p256)
    }

    /// Takes an uncompressed point `0x04 ‖ x ‖ y` (65 bytes, SEC 1 / ANSI X9.63), as COSE keys
    /// carry it in their `x` and `y` parameters. The point must be on the curve.
    public init(x963Representation point: [UInt8]) throws {
        guard point.count == 65, point[0] == 0x04 else {
            throw CryptoError(.invalidKey, "an uncompressed P-256 point is 65 bytes starting with 0x04")
        }
        key = try EVPKey.fromPublicDER(Self.spkiPrefix + point, as: .p256)
    }

    /// The key as PEM "PUBLIC KEY".
    public func exportPEM() throws -> String {
        try key.publicPEM()
    }

    /// The uncompressed point `0x04 ‖ x ‖ y` (65 bytes).
    public func x963Representation() throws -> [UInt8] {
        let der = try key.publicDER()
        guard der.count == Self.spkiPrefix.count + 65, der.starts(with: Self.spkiPrefix) else {
            throw CryptoError(.internalFailure, "unexpected P-256 public key encoding")
        }
        return Array(der[Self.spkiPrefix.count...])
    }

    /// Whether `signature` is a valid ES256 signature over `data`.
    public func isValidSignature(_ signature: ECDSASignature, for data: some RandomAccessCollection<UInt8>) -> Bool {
        guard let der = try? signature.derRepresentation() else { return false }
        return key.verify(der, for: data)
    }

    /// Whether `derSignature` (ASN.1 DER) is a valid ES256 signature over `data`.
    public func isValidSignature(derRepresentation derSignature: [UInt8], for data: some RandomAccessCollection<UInt8>) -> Bool {
        key.verify(derSignature, for: data)
    }

    public var description: String {
        "P256VerifyingKey"
    }
}
