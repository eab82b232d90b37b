public import Foundation

/// The registry as a JSON document, from ``DeviceRegistry/exportJSON()``: devices, credentials and
/// rules, with every secret still encrypted under the master key (base64 of the stored form). It
/// can be imported only into a registry with the same master key (``keyCheck`` says which).
public struct RegistryExport: Codable, Sendable {
    /// The ``format`` value of an export.
    public static let formatName = "securecoap-registry-export"
    /// The ``version`` this build writes and reads.
    public static let currentVersion = 1

    /// One device and its credentials.
    public struct ExportedDevice: Codable, Sendable {
        public var device: Device
        public var credentials: [ExportedCredential]

        public init(device: Device, credentials: [ExportedCredential]) {
            self.device = device
            self.credentials = credentials
        }
    }

    /// One credential with its encrypted secret.
    public struct ExportedCredential: Codable, Sendable {
        public var credential: Credential
        /// Base64 of `version ‖ nonce ‖ ciphertext ‖ tag` (AES-256-GCM under the master key), or nil.
        public var encryptedSecret: String?

        public init(credential: Credential, encryptedSecret: String?) {
            self.credential = credential
            self.encryptedSecret = encryptedSecret
        }
    }

    /// Always ``formatName``.
    public var format: String
    /// The document version.
    public var version: Int
    /// When the export was made.
    public var exportedAt: Date
    /// Identifies the master key the secrets are encrypted under (not the key itself).
    public var keyCheck: String
    /// The devices.
    public var devices: [ExportedDevice]
    /// The access rules (device rules and rules for all devices).
    public var rules: [AccessRule]

    public init(exportedAt: Date, keyCheck: String, devices: [ExportedDevice], rules: [AccessRule]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.exportedAt = exportedAt
        self.keyCheck = keyCheck
        self.devices = devices
        self.rules = rules
    }
}

/// What ``DeviceRegistry/importJSON(_:)`` added.
public struct ImportSummary: Sendable, Equatable {
    public var devices: Int
    public var credentials: Int
    public var rules: Int

    public init(devices: Int, credentials: Int, rules: Int) {
        self.devices = devices
        self.credentials = credentials
        self.rules = rules
    }
}
