public import Foundation
public import Sealing

/// What the gateway needs to know about devices, answered fast (an in-memory lookup) because it is
/// asked on the loop thread for every handshake and request. The device registry provides it
/// (``RegistryDirectory``); ``InMemoryDirectory`` serves tests and demos.
public protocol GatewayDirectory: Sendable {
    /// The device and key for a PSK identity: only for an active device and a valid credential.
    func pskKey(forIdentity identity: String) -> (deviceID: String, key: [UInt8])?
    /// The device a verified client certificate belongs to (active device, valid credential).
    func deviceID(forCertificateFingerprint sha256Hex: String, subject: String?) -> String?
    /// The sealing secret with this kid, whatever its status (the key ring enforces it).
    func sealingSecret(forKid kid: [UInt8]) -> GatewaySealingSecret?
    func device(_ id: String) -> GatewayDevice?
    /// The access rules: may `deviceID` use `method` on `path`?
    func isAllowed(deviceID: String, method: String, path: String) -> Bool
    func recordSeen(_ deviceID: String, at date: Date)
    /// Appends to the audit log (security events: refusals, lockouts).
    func audit(_ action: String, deviceID: String?, detail: String)
    /// Called after changes, with the devices concerned (empty: anything may have changed).
    func onChange(_ handler: @escaping @Sendable (Set<String>) -> Void)
    /// Every device id (to prepare their observable resources at start).
    func deviceIDs() -> [String]
}

extension GatewayDirectory {
    public func deviceIDs() -> [String] { [] }
}

/// A device as the gateway sees it.
public struct GatewayDevice: Sendable, Hashable {
    public var id: String
    public var isActive: Bool
    /// Readings must be sealed even over DTLS (the default).
    public var requireSealedReadings: Bool
    /// May read every device's readings and the security report.
    public var isAdmin: Bool
    /// The SenML names (after the `<device>/` prefix) kept; `nil` keeps all.
    public var allowedNames: Set<String>?

    public init(id: String, isActive: Bool = true, requireSealedReadings: Bool = true, isAdmin: Bool = false, allowedNames: Set<String>? = nil) {
        self.id = id
        self.isActive = isActive
        self.requireSealedReadings = requireSealedReadings
        self.isAdmin = isAdmin
        self.allowedNames = allowedNames
    }
}

/// A device's sealing secret (32 bytes) and its status.
public struct GatewaySealingSecret: Sendable {
    public var deviceID: String
    public var kid: [UInt8]
    public var secret: [UInt8]
    public var algorithm: SealingAlgorithm
    public var status: KeyStatus

    public init(deviceID: String, kid: [UInt8], secret: [UInt8], algorithm: SealingAlgorithm = .default, status: KeyStatus = .active) {
        self.deviceID = deviceID
        self.kid = kid
        self.secret = secret
        self.algorithm = algorithm
        self.status = status
    }
}
