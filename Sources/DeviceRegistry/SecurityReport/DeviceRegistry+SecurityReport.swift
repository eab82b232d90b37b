import Foundation
internal import LibCrypto

extension DeviceRegistry {
    /// Reviews the registry: devices sharing a PSK key, short PSK keys, active credentials past or
    /// near their not-after, active devices not seen for a long time, firmware older than the
    /// newest known, keys not rotated for a long time, secrets that do not decrypt, and a broken
    /// audit log. Secrets are decrypted in memory only to compare them; none appears in the report.
    public func securityReport(options: SecurityReportOptions = SecurityReportOptions()) throws -> SecurityReport {
        let now = options.now
        let day: TimeInterval = 86_400
        let (devices, credentials) = try store.read { t in (try t.devices(), try t.credentials()) }
        let seen = pending.withLock { $0.latestSeen }
        var findings: [SecurityFinding] = []
        let box = try SecretBox(key: key)

        // Keys: shared, short, unreadable.
        var devicesByKey: [[UInt8]: Set<String>] = [:]
        for stored in credentials where stored.credential.status != .revoked {
            guard let sealed = stored.sealedSecret else { continue }
            let credential = stored.credential
            let secret: SecureBytes
            do {
                secret = try box.open(sealed, deviceID: credential.deviceID, credentialID: credential.id)
            } catch {
                findings.append(SecurityFinding(
                    kind: .unreadableSecret, deviceIDs: [credential.deviceID], credentialID: credential.id,
                    message: "the secret of \(credential.kind.rawValue) credential \(credential.id) does not decrypt (the row was altered or moved)"))
                continue
            }
            guard credential.kind == .psk else { continue }
            if secret.count < options.minimumPSKKeyLength {
                findings.append(SecurityFinding(
                    kind: .shortKey, deviceIDs: [credential.deviceID], credentialID: credential.id,
                    message: "PSK \(credential.label) of \(credential.deviceID) has \(secret.count) bytes (minimum \(options.minimumPSKKeyLength))"))
            }
            devicesByKey[secret.withUnsafeBytes { Array($0) }, default: []].insert(credential.deviceID)
        }
        for ids in devicesByKey.values where ids.count > 1 {
            let sorted = ids.sorted()
            findings.append(SecurityFinding(
                kind: .sharedPSK, deviceIDs: sorted, message: "devices \(sorted.joined(separator: ", ")) share one PSK key"))
        }
        devicesByKey.removeAll()

        // Validity.
        for credential in credentials.map(\.credential) where credential.status == .active {
            guard let notAfter = credential.notAfter else { continue }
            if notAfter <= now {
                findings.append(SecurityFinding(
                    kind: .expired, deviceIDs: [credential.deviceID], credentialID: credential.id,
                    message: "\(credential.kind.rawValue) \(credential.label) of \(credential.deviceID) expired on \(Self.format(notAfter))"))
            } else if notAfter.timeIntervalSince(now) < options.expiryWarningDays * day {
                findings.append(SecurityFinding(
                    kind: .expiringSoon, deviceIDs: [credential.deviceID], credentialID: credential.id,
                    message: "\(credential.kind.rawValue) \(credential.label) of \(credential.deviceID) expires on \(Self.format(notAfter))"))
            }
        }

        // Devices: last seen, firmware, rotation.
        let newestFirmware = devices.compactMap(\.firmwareVersion).max { $0.compare($1, options: .numeric) == .orderedAscending }
        let byDevice = Dictionary(grouping: credentials.map(\.credential), by: \.deviceID)
        for device in devices where device.status == .active {
            let lastSeen = [device.lastSeen, seen[device.id]].compactMap { $0 }.max()
            if let lastSeen {
                if now.timeIntervalSince(lastSeen) > options.notSeenDays * day {
                    findings.append(SecurityFinding(
                        kind: .notSeen, deviceIDs: [device.id], message: "\(device.id) was last seen on \(Self.format(lastSeen))"))
                }
            } else if now.timeIntervalSince(device.createdAt) > options.notSeenDays * day {
                findings.append(SecurityFinding(
                    kind: .notSeen, deviceIDs: [device.id], message: "\(device.id) has never been seen since it was added on \(Self.format(device.createdAt))"))
            }
            if let newestFirmware, let version = device.firmwareVersion,
               version.compare(newestFirmware, options: .numeric) == .orderedAscending {
                findings.append(SecurityFinding(
                    kind: .outdatedFirmware, deviceIDs: [device.id], message: "\(device.id) runs firmware \(version); \(newestFirmware) is known"))
            }
            for kind in [CredentialKind.psk, .sealing] {
                let active = (byDevice[device.id] ?? []).filter { $0.kind == kind && $0.status == .active }
                guard let newest = active.map(\.createdAt).max() else { continue }
                if now.timeIntervalSince(newest) > options.rotationDays * day {
                    findings.append(SecurityFinding(
                        kind: .notRotated, deviceIDs: [device.id],
                        message: "\(device.id)'s \(kind == .psk ? "PSK" : "sealing secret") has not been rotated since \(Self.format(newest))"))
                }
            }
        }

        let audit = try verifyAuditLog()
        if !audit.isIntact {
            findings.append(SecurityFinding(
                kind: .auditLogBroken, deviceIDs: [],
                message: "the audit log's chain is broken: " + audit.problems.map(\.description).joined(separator: "; ")))
        }
        let order: [SecurityFinding.Kind] = [.auditLogBroken, .unreadableSecret, .sharedPSK, .shortKey, .expired, .expiringSoon, .notRotated, .notSeen, .outdatedFirmware]
        findings.sort { (order.firstIndex(of: $0.kind) ?? order.count) < (order.firstIndex(of: $1.kind) ?? order.count) }
        return SecurityReport(generatedAt: now, deviceCount: devices.count, findings: findings)
    }
}
