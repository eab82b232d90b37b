public import Foundation
internal import LibCrypto

/// A device's sealing secret, as a gateway's key ring needs it.
///
/// ``status`` is the *effective* status at lookup time: ``CredentialStatus/revoked`` when the
/// credential is revoked, its device is not active, or the current time is outside its validity
/// window; otherwise the stored status. A ``CredentialStatus/retired`` secret opens messages until
/// ``notAfter`` (the rotation's grace period; `KeyStatus.retired(graceUntil:)` in the Sealing module).
///
/// `description` and the mirror never show the secret.
public struct SealingMatch: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The device the kid belongs to.
    public var deviceID: String
    /// The key id carried in sealed messages.
    public var kid: [UInt8]
    /// The 32-byte device secret from which the key and Base IV are derived.
    public var secret: [UInt8]
    /// The COSE algorithm: 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM).
    public var algorithm: Int
    /// The effective status (see the type's documentation).
    public var status: CredentialStatus
    /// The credential's not-after: for a retired secret, the end of its grace period.
    public var notAfter: Date?
    /// The id of the credential.
    public var credentialID: String

    public init(
        deviceID: String, kid: [UInt8], secret: [UInt8], algorithm: Int, status: CredentialStatus,
        notAfter: Date? = nil, credentialID: String = ""
    ) {
        self.deviceID = deviceID
        self.kid = kid
        self.secret = secret
        self.algorithm = algorithm
        self.status = status
        self.notAfter = notAfter
        self.credentialID = credentialID
    }

    public var description: String {
        "SealingMatch(device: \(deviceID), kid: \(Hex.encode(kid)), alg: \(algorithm), \(status), secret redacted)"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["deviceID": deviceID, "kid": kid, "algorithm": algorithm, "status": status, "notAfter": notAfter as Any])
    }
}
