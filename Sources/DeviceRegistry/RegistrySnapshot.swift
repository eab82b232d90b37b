import Foundation
internal import LibCrypto
import Logging

/// An immutable, in-memory picture of the store, built for lookups from a gateway's loop thread:
/// every lookup is one or two dictionary accesses and a time comparison, with no I/O and no
/// decryption.
///
/// Hot-path tables hold slim entries (no full ``Device`` or ``Credential`` copies) and keys as
/// ordinary arrays, so a lookup hands out a key without copying it (the lookup API returns
/// `[UInt8]` anyway). Secrets are decrypted once, when the snapshot is built; a rebuild reuses the
/// secrets of credentials whose stored ciphertext did not change.
struct RegistrySnapshot: Sendable {
    /// An immutable snapshot shared by reference: taking it costs one retain.
    final class Reference: Sendable {
        let value: RegistrySnapshot
        init(_ value: RegistrySnapshot) { self.value = value }
    }

    struct CachedSecret: Sendable {
        var sealed: [UInt8]
        var secret: [UInt8]
    }

    /// What a key lookup needs of a credential.
    struct KeyEntry: Sendable {
        var deviceID: String
        var credentialID: String
        var status: CredentialStatus
        var notBefore: Date?
        var notAfter: Date?
        var kid: [UInt8]
        var algorithm: Int
        var key: [UInt8]

        func isUsable(at now: Date) -> Bool {
            guard status != .revoked else { return false }
            if let notBefore, now < notBefore { return false }
            if let notAfter, now >= notAfter { return false }
            return true
        }
    }

    struct CompiledRule: Sendable {
        var rule: AccessRule
        var pattern: PathPattern
        var anyMethod: Bool
        var methods: [String]

        func matches(deviceID: String, method: String, path: String) -> Bool {
            (anyMethod || methods.contains(method)) && pattern.matches(path: path, deviceID: deviceID)
        }
    }

    /// Everything about one device that a gateway acts on; compared between snapshots to say which
    /// devices changed.
    struct DeviceState: Equatable, Sendable {
        var device: Device
        var credentials: [StoredCredential]
        var rules: [AccessRule]
    }

    var counter: Int64 = -1
    var devices: [String: Device] = [:]
    var statuses: [String: DeviceStatus] = [:]
    var pskByIdentity: [String: KeyEntry] = [:]
    var certificatesByFingerprint: [String: [KeyEntry]] = [:]
    var certificatesBySubject: [String: [KeyEntry]] = [:]
    var sealingByKid: [[UInt8]: KeyEntry] = [:]
    var sealingByDevice: [String: [KeyEntry]] = [:]
    var rulesByDevice: [String: [CompiledRule]] = [:]
    var globalRules: [CompiledRule] = []
    var states: [String: DeviceState] = [:]
    var globalRuleList: [AccessRule] = []
    var secrets: [String: CachedSecret] = [:]
    /// Credentials whose secret did not decrypt (tampered rows): never matched by a lookup.
    var unreadableCredentials: [String] = []

    static let empty = RegistrySnapshot()

    /// Builds a snapshot from the store's contents, reusing `previous`'s decrypted secrets.
    static func build(
        counter: Int64, devices: [Device], credentials: [StoredCredential], rules: [AccessRule],
        key: MasterKey, previous: RegistrySnapshot, logger: Logger
    ) throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        snapshot.counter = counter
        var box: SecretBox? = nil
        for device in devices {
            var stateDevice = device
            stateDevice.lastSeen = nil
            snapshot.devices[device.id] = device
            snapshot.statuses[device.id] = device.status
            snapshot.states[device.id] = DeviceState(device: stateDevice, credentials: [], rules: [])
        }
        for stored in credentials {
            let credential = stored.credential
            snapshot.states[credential.deviceID]?.credentials.append(stored)
            var secret: [UInt8] = []
            if let sealed = stored.sealedSecret {
                if let cached = previous.secrets[credential.id], cached.sealed == sealed {
                    secret = cached.secret
                } else {
                    if box == nil { box = try SecretBox(key: key) }
                    do {
                        secret = try box!.open(sealed, deviceID: credential.deviceID, credentialID: credential.id).withUnsafeBytes { Array($0) }
                    } catch {
                        logger.error(
                            "registry credential does not decrypt; ignoring it",
                            metadata: ["registry.credential": "\(credential.id)", "registry.device": "\(credential.deviceID)"])
                        snapshot.unreadableCredentials.append(credential.id)
                        continue
                    }
                }
                snapshot.secrets[credential.id] = CachedSecret(sealed: sealed, secret: secret)
            }
            let entry = KeyEntry(
                deviceID: credential.deviceID, credentialID: credential.id, status: credential.status,
                notBefore: credential.notBefore, notAfter: credential.notAfter, kid: credential.kid ?? [],
                algorithm: credential.algorithm ?? 10, key: secret)
            switch credential.kind {
            case .psk:
                if let identity = credential.pskIdentity, stored.sealedSecret != nil { snapshot.pskByIdentity[identity] = entry }
            case .x509:
                if let fingerprint = credential.fingerprint {
                    snapshot.certificatesByFingerprint[fingerprint, default: []].append(entry)
                } else if let subject = credential.subject {
                    snapshot.certificatesBySubject[subject, default: []].append(entry)
                }
            case .sealing:
                if let kid = credential.kid, stored.sealedSecret != nil {
                    snapshot.sealingByKid[kid] = entry
                    snapshot.sealingByDevice[credential.deviceID, default: []].append(entry)
                }
            }
        }
        for rule in rules {
            guard let pattern = try? PathPattern(rule.pattern) else {
                logger.error("registry access rule has an invalid pattern; ignoring it", metadata: ["registry.rule": "\(rule.id)"])
                continue
            }
            let compiled = CompiledRule(rule: rule, pattern: pattern, anyMethod: rule.methods.contains("*"), methods: rule.methods)
            if let deviceID = rule.deviceID {
                snapshot.rulesByDevice[deviceID, default: []].append(compiled)
                snapshot.states[deviceID]?.rules.append(rule)
            } else {
                snapshot.globalRules.append(compiled)
                snapshot.globalRuleList.append(rule)
            }
        }
        return snapshot
    }

    /// Which devices differ between `old` and this snapshot; empty (everything) when rules for all
    /// devices changed.
    func change(since old: RegistrySnapshot) -> RegistryChange {
        if globalRuleList != old.globalRuleList { return RegistryChange(deviceIDs: []) }
        var changed = Set<String>()
        for (id, state) in states where old.states[id] != state { changed.insert(id) }
        for id in old.states.keys where states[id] == nil { changed.insert(id) }
        return RegistryChange(deviceIDs: changed)
    }

    // MARK: Lookups

    func pskKey(forIdentity identity: String, now: Date) -> PSKMatch? {
        guard let entry = pskByIdentity[identity], statuses[entry.deviceID] == .active, entry.isUsable(at: now) else { return nil }
        return PSKMatch(deviceID: entry.deviceID, key: entry.key, credentialID: entry.credentialID)
    }

    func deviceID(forCertificateFingerprint fingerprint: String, subject: String?, now: Date) -> String? {
        if let candidates = certificatesByFingerprint[fingerprint] {
            for entry in candidates where entry.isUsable(at: now) && statuses[entry.deviceID] == .active {
                return entry.deviceID
            }
        }
        if let subject, let candidates = certificatesBySubject[subject] {
            for entry in candidates where entry.isUsable(at: now) && statuses[entry.deviceID] == .active {
                return entry.deviceID
            }
        }
        return nil
    }

    func sealingMatch(_ entry: KeyEntry, now: Date) -> SealingMatch {
        let status: CredentialStatus = statuses[entry.deviceID] == .active && entry.isUsable(at: now) ? entry.status : .revoked
        return SealingMatch(
            deviceID: entry.deviceID, kid: entry.kid, secret: entry.key, algorithm: entry.algorithm, status: status,
            notAfter: entry.notAfter, credentialID: entry.credentialID)
    }

    func isAllowed(deviceID: String, method: String, path: String) -> Bool {
        guard statuses[deviceID] == .active else { return false }
        let method = method.utf8.contains(where: { (0x61...0x7A).contains($0) }) ? method.uppercased() : method
        var allowed = false
        if let own = rulesByDevice[deviceID] {
            for rule in own where rule.matches(deviceID: deviceID, method: method, path: path) {
                if rule.rule.effect == .deny { return false }
                allowed = true
            }
        }
        for rule in globalRules where rule.matches(deviceID: deviceID, method: method, path: path) {
            if rule.rule.effect == .deny { return false }
            allowed = true
        }
        return allowed
    }
}
