/// The three kinds of credential a device can hold.
public enum CredentialKind: String, Sendable, Codable, CaseIterable {
    /// A DTLS pre-shared key: an identity (in the clear) and a key (encrypted at rest).
    case psk
    /// An X.509 certificate, named by its SHA-256 fingerprint and/or its subject common name.
    case x509
    /// A payload-sealing secret: a kid, a 32-byte secret (encrypted at rest) and a COSE algorithm.
    case sealing
}
