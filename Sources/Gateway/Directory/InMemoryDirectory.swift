import CoAP
public import Foundation
import Sealing
import LibCrypto
import Platform

/// A ``GatewayDirectory`` held in memory: for tests, examples and demos.
public final class InMemoryDirectory: GatewayDirectory {
    private struct State {
        var devices: [String: GatewayDevice] = [:]
        var psk: [String: (deviceID: String, key: [UInt8])] = [:]
        var certificates: [String: String] = [:]
        var secrets: [[UInt8]: GatewaySealingSecret] = [:]
        var denied: Set<String> = []
        var auditLog: [(action: String, deviceID: String?, detail: String)] = []
        var seen: [String: Date] = [:]
        var handlers: [@Sendable (Set<String>) -> Void] = []
    }

    private let state = Locked(State())

    public init() {}

    public func addDevice(_ device: GatewayDevice) { change([device.id]) { $0.devices[device.id] = device } }
    public func addPSK(identity: String, key: [UInt8], deviceID: String) { change([deviceID]) { $0.psk[identity] = (deviceID, key) } }
    public func addCertificate(fingerprint: String, deviceID: String) { change([deviceID]) { $0.certificates[fingerprint] = deviceID } }
    public func addSealingSecret(_ secret: GatewaySealingSecret) { change([secret.deviceID]) { $0.secrets[secret.kid] = secret } }
    public func setActive(_ active: Bool, deviceID: String) { change([deviceID]) { $0.devices[deviceID]?.isActive = active } }
    /// Denies `method path` for a device (everything else on its own readings is allowed).
    public func deny(deviceID: String, method: String, path: String) { change([deviceID]) { $0.denied.insert("\(deviceID) \(method) \(path)") } }

    /// What was audited, oldest first.
    public var auditLog: [(action: String, deviceID: String?, detail: String)] { state.withLock { $0.auditLog } }
    public func lastSeen(_ deviceID: String) -> Date? { state.withLock { $0.seen[deviceID] } }

    public func pskKey(forIdentity identity: String) -> (deviceID: String, key: [UInt8])? {
        state.withLock { s in
            guard let match = s.psk[identity], s.devices[match.deviceID]?.isActive == true else { return nil }
            return match
        }
    }

    public func deviceID(forCertificateFingerprint sha256Hex: String, subject: String?) -> String? {
        state.withLock { s in
            guard let id = s.certificates[sha256Hex], s.devices[id]?.isActive == true else { return nil }
            return id
        }
    }

    public func sealingSecret(forKid kid: [UInt8]) -> GatewaySealingSecret? { state.withLock { $0.secrets[kid] } }
    public func device(_ id: String) -> GatewayDevice? { state.withLock { $0.devices[id] } }
    public func deviceIDs() -> [String] { state.withLock { Array($0.devices.keys) } }

    public func isAllowed(deviceID: String, method: String, path: String) -> Bool {
        state.withLock { s in
            guard let device = s.devices[deviceID], device.isActive else { return false }
            if !s.denied.isEmpty, s.denied.contains("\(deviceID) \(method) \(path)") { return false }
            return device.isAdmin || path == "/readings" || (path.hasPrefix("/readings/") && path.dropFirst(10) == deviceID)
        }
    }

    public func recordSeen(_ deviceID: String, at date: Date) { state.withLock { $0.seen[deviceID] = date } }

    public func audit(_ action: String, deviceID: String?, detail: String) {
        state.withLock { $0.auditLog.append((action, deviceID, detail)) }
    }

    public func onChange(_ handler: @escaping @Sendable (Set<String>) -> Void) { state.withLock { $0.handlers.append(handler) } }

    private func change(_ ids: Set<String>, _ body: (inout State) -> Void) {
        let handlers = state.withLock { s in
            body(&s)
            return s.handlers
        }
        for handler in handlers { handler(ids) }
    }
}
