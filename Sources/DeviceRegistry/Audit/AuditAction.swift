/// What an audit entry records. Extensible: match with `==` and keep a default branch.
public struct AuditAction: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The stable name stored in the log, such as `device.suspend`.
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { self.name = value }

    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    public var description: String { name }

    /// The registry was created.
    public static let registryInitialized: AuditAction = "registry.init"
    /// A device was added.
    public static let deviceAdded: AuditAction = "device.add"
    /// A device was removed with its credentials and rules.
    public static let deviceRemoved: AuditAction = "device.remove"
    /// A device was suspended.
    public static let deviceSuspended: AuditAction = "device.suspend"
    /// A suspended or revoked device was made active again.
    public static let deviceResumed: AuditAction = "device.resume"
    /// A device was revoked.
    public static let deviceRevoked: AuditAction = "device.revoke"
    /// A device's labels, firmware version or flags changed.
    public static let deviceUpdated: AuditAction = "device.update"
    /// A credential was added.
    public static let credentialAdded: AuditAction = "credential.add"
    /// A credential was replaced by a new one (the old one retired with a grace period).
    public static let credentialRotated: AuditAction = "credential.rotate"
    /// A credential's status changed (retired, revoked, re-activated).
    public static let credentialStatusChanged: AuditAction = "credential.status"
    /// A credential was removed.
    public static let credentialRemoved: AuditAction = "credential.remove"
    /// Secrets were shown in the clear (`show --reveal`).
    public static let secretsRevealed: AuditAction = "secret.reveal"
    /// An access rule was added.
    public static let ruleAdded: AuditAction = "rule.add"
    /// An access rule was removed.
    public static let ruleRemoved: AuditAction = "rule.remove"
    /// Devices were imported from an export file.
    public static let registryImported: AuditAction = "registry.import"
    /// The registry was exported (secrets stay encrypted).
    public static let registryExported: AuditAction = "registry.export"
    /// A gateway reported a failed DTLS handshake.
    public static let handshakeFailure: AuditAction = "event.handshake-failure"
    /// A gateway reported a replayed sealed message.
    public static let replay: AuditAction = "event.replay"
    /// A gateway refused a request by the access rules.
    public static let accessDenied: AuditAction = "event.access-denied"
    /// Security events were dropped because they arrived faster than they could be recorded.
    public static let eventsDropped: AuditAction = "event.dropped"
}
