public import DeviceRegistry
public import Foundation
import Sealing

/// The device registry as a ``GatewayDirectory``: its in-memory snapshot answers the lookups, and
/// security events go to its audit log.
///
/// A device's label `senml-names` (comma-separated) is its SenML allow-list (data minimization);
/// without it every name is kept.
public final class RegistryDirectory: GatewayDirectory {
    public let registry: DeviceRegistry
    /// How long a retired sealing key still opens messages when the registry gives no end date.
    let retiredGrace: TimeInterval

    public init(registry: DeviceRegistry, retiredGrace: TimeInterval = 24 * 3600) {
        self.registry = registry
        self.retiredGrace = retiredGrace
    }

    public func pskKey(forIdentity identity: String) -> (deviceID: String, key: [UInt8])? {
        registry.pskKey(forIdentity: identity).map { ($0.deviceID, $0.key) }
    }

    public func deviceID(forCertificateFingerprint sha256Hex: String, subject: String?) -> String? {
        registry.deviceID(forCertificateFingerprint: sha256Hex, subject: subject)
    }

    public func sealingSecret(forKid kid: [UInt8]) -> GatewaySealingSecret? {
        guard let match = registry.sealingSecret(forKid: kid), let algorithm = SealingAlgorithm(rawValue: match.algorithm) else { return nil }
        let status: KeyStatus
        switch match.status {
        case .active: status = .active
        case .retired: status = .retired(graceUntil: match.notAfter ?? Date().addingTimeInterval(retiredGrace))
        case .revoked: status = .revoked
        }
        return GatewaySealingSecret(deviceID: match.deviceID, kid: match.kid, secret: match.secret, algorithm: algorithm, status: status)
    }

    public func device(_ id: String) -> GatewayDevice? {
        guard let device = registry.device(id) else { return nil }
        let names = device.labels["senml-names"].map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        return GatewayDevice(
            id: device.id, isActive: device.status == .active, requireSealedReadings: device.requireSealedReadings,
            isAdmin: device.isAdmin, allowedNames: names)
    }

    public func deviceIDs() -> [String] { (try? registry.devices().map(\.id)) ?? [] }

    public func isAllowed(deviceID: String, method: String, path: String) -> Bool {
        registry.isAllowed(deviceID: deviceID, method: method, path: path)
    }

    public func recordSeen(_ deviceID: String, at date: Date) { registry.recordSeen(deviceID, at: date) }

    public func audit(_ action: String, deviceID: String?, detail: String) {
        let kind: SecurityEvent.Kind
        switch action {
        case "security.handshake-failure", "security.unknown-identity", "security.certificate-refused": kind = .handshakeFailure
        case "security.replay": kind = .replay
        case "security.access-denied": kind = .accessDenied
        default: kind = SecurityEvent.Kind(action: AuditAction(action))
        }
        registry.recordSecurityEvent(SecurityEvent(kind: kind, deviceID: deviceID, detail: detail))
    }

    public func onChange(_ handler: @escaping @Sendable (Set<String>) -> Void) {
        registry.onChange { change in handler(change.deviceIDs) }
    }
}
