import Foundation
internal import GRDB

/// A transaction of ``SQLiteDeviceStore``: SQL over one GRDB connection, valid only inside the
/// store's `write` or `read` call.
final class SQLiteStoreTransaction: DeviceStoreTransaction {
    private let db: Database
    private let writable: Bool
    private(set) var changed = false

    init(db: Database, writable: Bool) {
        self.db = db
        self.writable = writable
    }

    private func mutate(countsAsChange: Bool = true) throws {
        guard writable else { throw DeviceRegistryError(.storage, "cannot write in a read transaction") }
        if countsAsChange { changed = true }
    }

    // MARK: Devices

    func devices() throws -> [Device] {
        try Row.fetchAll(db, sql: "SELECT * FROM devices ORDER BY id").map(Self.device(from:))
    }

    func device(id: String) throws -> Device? {
        try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ?", arguments: [id]).map(Self.device(from:))
    }

    func insertDevice(_ device: Device) throws {
        try mutate()
        guard try self.device(id: device.id) == nil else {
            throw DeviceRegistryError(.alreadyExists, "device \(device.id) already exists")
        }
        try db.execute(
            sql: """
                INSERT INTO devices (id, status, created_at, updated_at, firmware_version, last_seen, labels, require_sealed_readings, is_admin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: Self.arguments(device))
    }

    func updateDevice(_ device: Device) throws {
        try mutate()
        var arguments = Self.arguments(device)
        _ = arguments.append(contentsOf: [device.id])
        try db.execute(
            sql: """
                UPDATE devices SET id = ?, status = ?, created_at = ?, updated_at = ?, firmware_version = ?, last_seen = ?,
                    labels = ?, require_sealed_readings = ?, is_admin = ?
                WHERE id = ?
                """,
            arguments: arguments)
        guard db.changesCount == 1 else { throw DeviceRegistryError(.notFound, "no device \(device.id)") }
    }

    func deleteDevice(id: String) throws {
        try mutate()
        try db.execute(sql: "DELETE FROM devices WHERE id = ?", arguments: [id])
    }

    private static func arguments(_ device: Device) -> StatementArguments {
        [
            device.id, device.status.rawValue, device.createdAt.millisecondsSince1970, device.updatedAt.millisecondsSince1970,
            device.firmwareVersion, device.lastSeen?.millisecondsSince1970, encodeLabels(device.labels),
            device.requireSealedReadings, device.isAdmin,
        ]
    }

    private static func device(from row: Row) throws -> Device {
        let id: String = try row.decode(forColumn: "id")
        guard let status = DeviceStatus(rawValue: try row.decode(forColumn: "status")) else {
            throw DeviceRegistryError(.integrity, "device \(id) has an unknown status in the database")
        }
        let labelsText: String = try row.decode(forColumn: "labels")
        let labels = (try? JSONDecoder().decode([String: String].self, from: Data(labelsText.utf8))) ?? [:]
        return Device(
            id: id, status: status,
            createdAt: Date(millisecondsSince1970: try row.decode(forColumn: "created_at")),
            updatedAt: Date(millisecondsSince1970: try row.decode(forColumn: "updated_at")),
            firmwareVersion: try row.decode(forColumn: "firmware_version"),
            lastSeen: (try row.decode(Int64?.self, forColumn: "last_seen")).map { Date(millisecondsSince1970: $0) },
            labels: labels,
            requireSealedReadings: try row.decode(forColumn: "require_sealed_readings"),
            isAdmin: try row.decode(forColumn: "is_admin"))
    }

    private static func encodeLabels(_ labels: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(labels)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: Credentials

    func credentials() throws -> [StoredCredential] {
        try Row.fetchAll(db, sql: "SELECT * FROM credentials ORDER BY device_id, created_at, id").map(Self.credential(from:))
    }

    func credentials(deviceID: String) throws -> [StoredCredential] {
        try Row.fetchAll(db, sql: "SELECT * FROM credentials WHERE device_id = ? ORDER BY created_at, id", arguments: [deviceID])
            .map(Self.credential(from:))
    }

    func credential(id: String) throws -> StoredCredential? {
        try Row.fetchOne(db, sql: "SELECT * FROM credentials WHERE id = ?", arguments: [id]).map(Self.credential(from:))
    }

    func credentials(matching key: CredentialLookupKey) throws -> [StoredCredential] {
        let (column, value): (String, any DatabaseValueConvertible) = switch key {
        case .pskIdentity(let identity): ("psk_identity", identity)
        case .kid(let kid): ("kid", Data(kid))
        case .fingerprint(let fingerprint): ("fingerprint", fingerprint)
        case .subject(let subject): ("subject", subject)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM credentials WHERE \(column) = ? ORDER BY created_at, id", arguments: [value])
            .map(Self.credential(from:))
    }

    func insertCredential(_ stored: StoredCredential) throws {
        try mutate()
        guard try device(id: stored.credential.deviceID) != nil else {
            throw DeviceRegistryError(.notFound, "no device \(stored.credential.deviceID)")
        }
        try db.execute(
            sql: """
                INSERT INTO credentials (id, device_id, kind, psk_identity, fingerprint, subject, kid, algorithm, sealed_secret,
                    not_before, not_after, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: Self.arguments(stored))
    }

    func updateCredential(_ stored: StoredCredential) throws {
        try mutate()
        var arguments = Self.arguments(stored)
        _ = arguments.append(contentsOf: [stored.credential.id])
        try db.execute(
            sql: """
                UPDATE credentials SET id = ?, device_id = ?, kind = ?, psk_identity = ?, fingerprint = ?, subject = ?, kid = ?,
                    algorithm = ?, sealed_secret = ?, not_before = ?, not_after = ?, status = ?, created_at = ?, updated_at = ?
                WHERE id = ?
                """,
            arguments: arguments)
        guard db.changesCount == 1 else { throw DeviceRegistryError(.notFound, "no credential \(stored.credential.id)") }
    }

    func deleteCredential(id: String) throws {
        try mutate()
        try db.execute(sql: "DELETE FROM credentials WHERE id = ?", arguments: [id])
    }

    private static func arguments(_ stored: StoredCredential) -> StatementArguments {
        let c = stored.credential
        return [
            c.id, c.deviceID, c.kind.rawValue, c.pskIdentity, c.fingerprint, c.subject, c.kid.map { Data($0) }, c.algorithm,
            stored.sealedSecret.map { Data($0) }, c.notBefore?.millisecondsSince1970, c.notAfter?.millisecondsSince1970,
            c.status.rawValue, c.createdAt.millisecondsSince1970, c.updatedAt.millisecondsSince1970,
        ]
    }

    private static func credential(from row: Row) throws -> StoredCredential {
        let id: String = try row.decode(forColumn: "id")
        guard let kind = CredentialKind(rawValue: try row.decode(forColumn: "kind")), let status = CredentialStatus(rawValue: try row.decode(forColumn: "status")) else {
            throw DeviceRegistryError(.integrity, "credential \(id) has an unknown kind or status in the database")
        }
        let credential = Credential(
            id: id, deviceID: try row.decode(forColumn: "device_id"), kind: kind,
            pskIdentity: try row.decode(forColumn: "psk_identity"), fingerprint: try row.decode(forColumn: "fingerprint"), subject: try row.decode(forColumn: "subject"),
            kid: (try row.decode(Data?.self, forColumn: "kid")).map { [UInt8]($0) }, algorithm: try row.decode(forColumn: "algorithm"),
            notBefore: (try row.decode(Int64?.self, forColumn: "not_before")).map { Date(millisecondsSince1970: $0) },
            notAfter: (try row.decode(Int64?.self, forColumn: "not_after")).map { Date(millisecondsSince1970: $0) },
            status: status,
            createdAt: Date(millisecondsSince1970: try row.decode(forColumn: "created_at")),
            updatedAt: Date(millisecondsSince1970: try row.decode(forColumn: "updated_at")))
        return StoredCredential(credential: credential, sealedSecret: (try row.decode(Data?.self, forColumn: "sealed_secret")).map { [UInt8]($0) })
    }

    // MARK: Rules

    func rules() throws -> [AccessRule] {
        try Row.fetchAll(db, sql: "SELECT * FROM access_rules ORDER BY created_at, id").map { row in
            let id: String = try row.decode(forColumn: "id")
            guard let effect = AccessRule.Effect(rawValue: try row.decode(forColumn: "effect")) else {
                throw DeviceRegistryError(.integrity, "rule \(id) has an unknown effect in the database")
            }
            let methods: String = try row.decode(forColumn: "methods")
            return AccessRule(
                id: id, deviceID: try row.decode(forColumn: "device_id"), methods: methods.split(separator: ",").map(String.init),
                pattern: try row.decode(forColumn: "pattern"), effect: effect, createdAt: Date(millisecondsSince1970: try row.decode(forColumn: "created_at")))
        }
    }

    func insertRule(_ rule: AccessRule) throws {
        try mutate()
        if let deviceID = rule.deviceID, try device(id: deviceID) == nil {
            throw DeviceRegistryError(.notFound, "no device \(deviceID)")
        }
        try db.execute(
            sql: "INSERT INTO access_rules (id, device_id, methods, pattern, effect, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                rule.id, rule.deviceID, rule.methods.joined(separator: ","), rule.pattern, rule.effect.rawValue,
                rule.createdAt.millisecondsSince1970,
            ])
    }

    func deleteRule(id: String) throws {
        try mutate()
        try db.execute(sql: "DELETE FROM access_rules WHERE id = ?", arguments: [id])
    }

    // MARK: Audit log

    func lastAuditEntry() throws -> AuditEntry? {
        try Row.fetchOne(db, sql: "SELECT * FROM audit_log ORDER BY sequence DESC LIMIT 1").map(Self.auditEntry(from:))
    }

    func auditEntries(since: Date?) throws -> [AuditEntry] {
        if let since {
            return try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE time >= ? ORDER BY sequence", arguments: [since.millisecondsSince1970]
            ).map(Self.auditEntry(from:))
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM audit_log ORDER BY sequence").map(Self.auditEntry(from:))
    }

    func appendAuditEntry(_ entry: AuditEntry) throws {
        try mutate(countsAsChange: false)
        try db.execute(
            sql: """
                INSERT INTO audit_log (sequence, time, action, device_id, actor, detail, previous_code, code)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                entry.sequence, entry.time.millisecondsSince1970, entry.action.name, entry.deviceID, entry.actor, entry.detail,
                Data(entry.previousCode), Data(entry.authenticationCode),
            ])
    }

    private static func auditEntry(from row: Row) throws -> AuditEntry {
        AuditEntry(
            sequence: try row.decode(forColumn: "sequence"), time: Date(millisecondsSince1970: try row.decode(forColumn: "time")), action: AuditAction(try row.decode(String.self, forColumn: "action")),
            deviceID: try row.decode(forColumn: "device_id"), actor: try row.decode(forColumn: "actor"), detail: try row.decode(forColumn: "detail"),
            previousCode: [UInt8]((try row.decode(Data?.self, forColumn: "previous_code")) ?? Data()),
            authenticationCode: [UInt8]((try row.decode(Data?.self, forColumn: "code")) ?? Data()))
    }

    // MARK: Metadata

    func changeCounter() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT change_counter FROM registry_state WHERE id = 1") ?? 0
    }

    func metadata(_ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM registry_meta WHERE key = ?", arguments: [key])
    }

    func setMetadata(_ key: String, _ value: String) throws {
        try mutate(countsAsChange: false)
        try db.execute(
            sql: "INSERT INTO registry_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }
}
