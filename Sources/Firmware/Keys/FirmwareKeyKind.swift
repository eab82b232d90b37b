/// The key types firmware can be signed with.
public enum FirmwareKeyKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA on P-256: signs ES256.
    case p256 = "p256"
    /// Ed25519: signs EdDSA.
    case ed25519 = "ed25519"

    public var description: String { self == .p256 ? "ECDSA P-256" : "Ed25519" }
}
