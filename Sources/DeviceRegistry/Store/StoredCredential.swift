/// A credential as a ``DeviceStore`` keeps it: the public metadata and, for PSKs and sealing
/// secrets, the secret encrypted under the master key (AES-256-GCM; the format is in the module's
/// documentation, "Secrets at rest"). A store never sees a secret in the clear.
public struct StoredCredential: Sendable, Equatable {
    /// The credential's metadata.
    public var credential: Credential
    /// `version ‖ nonce ‖ ciphertext ‖ tag`, or nil for X.509 credentials (which hold no secret).
    public var sealedSecret: [UInt8]?

    public init(credential: Credential, sealedSecret: [UInt8]?) {
        self.credential = credential
        self.sealedSecret = sealedSecret
    }
}
