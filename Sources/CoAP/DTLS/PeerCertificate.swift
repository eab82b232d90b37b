/// What a verified peer certificate says about its holder, for mapping it to an identity.
public struct PeerCertificate: Sendable, Hashable {
    /// The subject's common name (CN), or an empty string when it has none.
    public var commonName: String
    /// subjectAltName entries: DNS names, URIs, and IP addresses as text.
    public var subjectAltNames: [String]
    /// SHA-256 over the DER encoding, as 64 lowercase hex digits.
    public var sha256Fingerprint: String
    /// The certificate in DER.
    public var der: [UInt8]

    public init(commonName: String, subjectAltNames: [String], sha256Fingerprint: String, der: [UInt8]) {
        self.commonName = commonName
        self.subjectAltNames = subjectAltNames
        self.sha256Fingerprint = sha256Fingerprint
        self.der = der
    }
}
