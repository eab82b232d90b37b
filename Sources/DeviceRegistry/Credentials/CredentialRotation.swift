/// The outcome of ``DeviceRegistry/rotatePSK(deviceID:identity:key:grace:)`` or
/// ``DeviceRegistry/rotateSealingSecret(deviceID:kid:secret:algorithm:grace:)``.
///
/// `description` never shows the secret.
public struct CredentialRotation: Sendable, CustomStringConvertible {
    /// The new, active credential.
    public var credential: Credential
    /// Its secret (PSK key or sealing secret), to hand to the device once.
    public var secret: [UInt8]
    /// The credentials that were active and are now retired, usable until the end of the grace period.
    public var retired: [Credential]

    public init(credential: Credential, secret: [UInt8], retired: [Credential]) {
        self.credential = credential
        self.secret = secret
        self.retired = retired
    }

    public var description: String {
        "CredentialRotation(new: \(credential.id), retired: \(retired.map(\.id)), secret redacted)"
    }
}
