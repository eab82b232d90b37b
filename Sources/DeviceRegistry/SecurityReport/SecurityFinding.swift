/// One problem found by ``DeviceRegistry/securityReport(options:)``.
public struct SecurityFinding: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What kind of problem. Extensible: match with `==` and keep a default branch.
    public struct Kind: Hashable, Sendable, Codable, CustomStringConvertible {
        /// A stable name, such as `shared-psk`.
        public let name: String

        public init(_ name: String) { self.name = name }
        public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }

        /// Several devices use the same PSK key.
        public static let sharedPSK = Kind("shared-psk")
        /// A PSK key is shorter than the minimum.
        public static let shortKey = Kind("short-key")
        /// An active credential is past its not-after.
        public static let expired = Kind("expired")
        /// An active credential reaches its not-after soon.
        public static let expiringSoon = Kind("expiring-soon")
        /// An active device has not been seen for a long time (or never).
        public static let notSeen = Kind("not-seen")
        /// A device runs firmware older than the newest version known in the registry.
        public static let outdatedFirmware = Kind("outdated-firmware")
        /// A device's newest active key of a kind is older than the rotation period.
        public static let notRotated = Kind("not-rotated")
        /// A stored secret does not decrypt (altered or moved row, or another master key).
        public static let unreadableSecret = Kind("unreadable-secret")
        /// The audit log's chain is broken.
        public static let auditLogBroken = Kind("audit-log-broken")

        public var description: String { name }
    }

    /// What kind of problem.
    public var kind: Kind
    /// The devices concerned (empty for registry-wide findings).
    public var deviceIDs: [String]
    /// The credential concerned, if one.
    public var credentialID: String?
    /// The problem, for a person (never a secret).
    public var message: String

    public init(kind: Kind, deviceIDs: [String], credentialID: String? = nil, message: String) {
        self.kind = kind
        self.deviceIDs = deviceIDs
        self.credentialID = credentialID
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
