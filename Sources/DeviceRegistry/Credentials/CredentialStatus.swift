/// The state of one credential of a device.
///
/// A lookup accepts a credential only while its status is not ``revoked`` and the current time is
/// inside its not-before/not-after window. Retiring a credential (as a rotation does) sets its
/// not-after to the end of the grace period, so a retired credential keeps working until then and
/// is refused afterwards.
public enum CredentialStatus: String, Sendable, Codable, CaseIterable {
    /// In use.
    case active
    /// Rotated out: still accepted until its not-after (the grace period), then refused.
    case retired
    /// Never accepted again.
    case revoked
}
