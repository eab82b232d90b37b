/// A credential with its secret in the clear, from ``DeviceRegistry/revealSecrets(deviceID:)``
/// (an audited operation). `description` never shows the secret.
public struct RevealedSecret: Sendable, CustomStringConvertible {
    /// The credential.
    public var credential: Credential
    /// The PSK key or sealing secret.
    public var secret: [UInt8]

    public init(credential: Credential, secret: [UInt8]) {
        self.credential = credential
        self.secret = secret
    }

    public var description: String { "RevealedSecret(\(credential.id), \(secret.count) bytes, redacted)" }
}
