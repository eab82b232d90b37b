import Foundation

/// A transaction of ``InMemoryDeviceStore``: works on its own copy of the state.
final class InMemoryStoreTransaction: DeviceStoreTransaction {
    var state: InMemoryDeviceStore.State
    private(set) var changed = false
    private let writable: Bool

    init(state: InMemoryDeviceStore.State, writable: Bool) {
        self.state = state
        self.writable = writable
    }

    private func mutate(countsAsChange: Bool = true) throws {
        guard writable else { throw DeviceRegistryError(.storage, "cannot write in a read transaction") }
        if countsAsChange { changed = true }
    }

    func devices() throws -> [Device] { state.devices.values.sorted { $0.id < $1.id } }

    func device(id: String) throws -> Device? { state.devices[id] }

    func insertDevice(_ device: Device) throws {
        try mutate()
        guard state.devices[device.id] == nil else {
            throw DeviceRegistryError(.alreadyExists, "device \(device.id) already exists")
        }
        state.devices[device.id] = device.rounded
    }

    func updateDevice(_ device: Device) throws {
        try mutate()
        guard state.devices[device.id] != nil else { throw DeviceRegistryError(.notFound, "no device \(device.id)") }
        state.devices[device.id] = device.rounded
    }

    func deleteDevice(id: String) throws {
        try mutate()
        state.devices[id] = nil
        state.credentials.removeAll { $0.credential.deviceID == id }
        state.rules.removeAll { $0.deviceID == id }
    }

    func credentials() throws -> [StoredCredential] {
        state.credentials.sorted { ($0.credential.deviceID, $0.credential.createdAt) < ($1.credential.deviceID, $1.credential.createdAt) }
    }

    func credentials(deviceID: String) throws -> [StoredCredential] {
        state.credentials.filter { $0.credential.deviceID == deviceID }
    }

    func credential(id: String) throws -> StoredCredential? {
        state.credentials.first { $0.credential.id == id }
    }

    func credentials(matching key: CredentialLookupKey) throws -> [StoredCredential] {
        state.credentials.filter { stored in
            let c = stored.credential
            switch key {
            case .pskIdentity(let identity): return c.pskIdentity == identity
            case .kid(let kid): return c.kid == kid
            case .fingerprint(let fingerprint): return c.fingerprint == fingerprint
            case .subject(let subject): return c.subject == subject
            }
        }
    }

    func insertCredential(_ credential: StoredCredential) throws {
        try mutate()
        guard state.devices[credential.credential.deviceID] != nil else {
            throw DeviceRegistryError(.notFound, "no device \(credential.credential.deviceID)")
        }
        guard try self.credential(id: credential.credential.id) == nil else {
            throw DeviceRegistryError(.alreadyExists, "credential \(credential.credential.id) already exists")
        }
        var stored = credential
        stored.credential = stored.credential.rounded
        state.credentials.append(stored)
    }

    func updateCredential(_ credential: StoredCredential) throws {
        try mutate()
        guard let index = state.credentials.firstIndex(where: { $0.credential.id == credential.credential.id }) else {
            throw DeviceRegistryError(.notFound, "no credential \(credential.credential.id)")
        }
        var stored = credential
        stored.credential = stored.credential.rounded
        state.credentials[index] = stored
    }

    func deleteCredential(id: String) throws {
        try mutate()
        state.credentials.removeAll { $0.credential.id == id }
    }

    func rules() throws -> [AccessRule] { state.rules }

    func insertRule(_ rule: AccessRule) throws {
        try mutate()
        if let deviceID = rule.deviceID, state.devices[deviceID] == nil {
            throw DeviceRegistryError(.notFound, "no device \(deviceID)")
        }
        var rule = rule
        rule.createdAt = rule.createdAt.roundedToMilliseconds
        state.rules.append(rule)
    }

    func deleteRule(id: String) throws {
        try mutate()
        state.rules.removeAll { $0.id == id }
    }

    func lastAuditEntry() throws -> AuditEntry? { state.audit.last }

    func auditEntries(since: Date?) throws -> [AuditEntry] {
        guard let since else { return state.audit }
        return state.audit.filter { $0.time >= since }
    }

    func appendAuditEntry(_ entry: AuditEntry) throws {
        try mutate(countsAsChange: false)
        state.audit.append(entry)
    }

    func changeCounter() throws -> Int64 { state.counter }

    func metadata(_ key: String) throws -> String? { state.metadata[key] }

    func setMetadata(_ key: String, _ value: String) throws {
        try mutate(countsAsChange: false)
        state.metadata[key] = value
    }
}
