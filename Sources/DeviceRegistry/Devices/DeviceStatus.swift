/// Whether a device may talk to a gateway.
public enum DeviceStatus: String, Sendable, Codable, CaseIterable {
    /// Provisioned and allowed to connect (subject to its credentials and access rules).
    case active
    /// Temporarily refused; ``DeviceRegistry/setStatus(_:for:reason:)`` with `.active` resumes it.
    case suspended
    /// Permanently refused. A revoked device can be re-activated only on purpose, and it is audited.
    case revoked
}
