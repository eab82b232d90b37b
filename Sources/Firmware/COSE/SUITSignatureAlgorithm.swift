/// The COSE signature algorithms a SUIT envelope may be signed with here.
public enum SUITSignatureAlgorithm: Int64, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA with SHA-256 (RFC 9053); P-256 keys. What ``FirmwareSigningKey`` signs with.
    case es256 = -7
    /// ECDSA P-256 with SHA-256, fully specified (RFC 9864), as the draft's examples are signed.
    case esp256 = -9
    /// EdDSA (RFC 9053); Ed25519 keys. What ``FirmwareSigningKey`` signs with.
    case edDSA = -8
    /// Ed25519, fully specified (RFC 9864).
    case ed25519 = -19

    /// Whether a key of `kind` makes signatures of this algorithm.
    func isUsable(with kind: FirmwareKeyKind) -> Bool {
        switch self {
        case .es256, .esp256: kind == .p256
        case .edDSA, .ed25519: kind == .ed25519
        }
    }

    public var description: String {
        switch self {
        case .es256: "ES256"
        case .esp256: "ESP256"
        case .edDSA: "EdDSA"
        case .ed25519: "Ed25519"
        }
    }
}
