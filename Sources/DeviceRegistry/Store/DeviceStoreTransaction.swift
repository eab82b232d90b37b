public import Foundation

/// What a ``DeviceStore`` offers inside one transaction.
///
/// Implementations keep every change of one `write` call atomic: all of it is committed or none.
/// Secrets arrive already encrypted (``StoredCredential/sealedSecret``); a store never handles a
/// secret in the clear. Methods that change devices, credentials or rules make the store's change
/// counter increase when the transaction commits; audit appends and metadata do not.
public protocol DeviceStoreTransaction {
    /// Every device, ordered by id.
    func devices() throws -> [Device]
    /// One device, or nil.
    func device(id: String) throws -> Device?
    /// Adds a device; the id must be new.
    func insertDevice(_ device: Device) throws
    /// Replaces the stored device with the same id.
    func updateDevice(_ device: Device) throws
    /// Removes a device with its credentials and rules.
    func deleteDevice(id: String) throws

    /// Every credential, ordered by device id and creation time.
    func credentials() throws -> [StoredCredential]
    /// The credentials of one device, oldest first.
    func credentials(deviceID: String) throws -> [StoredCredential]
    /// One credential, or nil.
    func credential(id: String) throws -> StoredCredential?
    /// Credentials with this PSK identity, kid, fingerprint or subject (any device, any status).
    func credentials(matching key: CredentialLookupKey) throws -> [StoredCredential]
    /// Adds a credential; its id must be new.
    func insertCredential(_ credential: StoredCredential) throws
    /// Replaces the stored credential with the same id.
    func updateCredential(_ credential: StoredCredential) throws
    /// Removes a credential.
    func deleteCredential(id: String) throws

    /// Every access rule, ordered by creation time.
    func rules() throws -> [AccessRule]
    /// Adds a rule.
    func insertRule(_ rule: AccessRule) throws
    /// Removes a rule.
    func deleteRule(id: String) throws

    /// The last audit entry, or nil when the log is empty.
    func lastAuditEntry() throws -> AuditEntry?
    /// Audit entries in sequence order, optionally only those at or after `since`.
    func auditEntries(since: Date?) throws -> [AuditEntry]
    /// Appends an entry (its sequence is the last one's plus one).
    func appendAuditEntry(_ entry: AuditEntry) throws

    /// The store's change counter as of this transaction (see ``DeviceStore/changeCounter()``).
    func changeCounter() throws -> Int64

    /// A metadata value (key check value, audit head ...), or nil.
    func metadata(_ key: String) throws -> String?
    /// Sets a metadata value.
    func setMetadata(_ key: String, _ value: String) throws
}

/// What to find credentials by.
public enum CredentialLookupKey: Sendable, Hashable {
    case pskIdentity(String)
    case kid([UInt8])
    case fingerprint(String)
    case subject(String)
}
