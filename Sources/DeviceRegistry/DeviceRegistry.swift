public import Foundation
public import Logging
internal import LibCrypto
import Platform

/// Devices, their credentials and access rules, with secrets encrypted at rest and a
/// tamper-evident audit log.
///
/// A gateway opens the registry once and asks it, from its loop thread, who a DTLS peer is and
/// what it may do. Those lookups (``pskKey(forIdentity:)``, ``deviceID(forCertificateFingerprint:subject:)``,
/// ``sealingSecret(forKid:)``, ``sealingSecrets(forDevice:)``, ``isAllowed(deviceID:method:path:)``,
/// ``device(_:)``) are synchronous and are served from an in-memory snapshot: each costs one
/// uncontended mutex acquisition and two hash-table lookups (plus, for ``isAllowed(deviceID:method:path:)``,
/// a byte-wise segment comparison per rule of the device and per rule for all devices;
/// Benchmarks/RESULTS.md, "Measurements behind the code", has them timed). They never do I/O,
/// never decrypt, never allocate a copy of a key, and never suspend.
///
/// The snapshot is rebuilt after every change made through this instance (before the changing
/// call returns), and a background thread polls the store's change counter every
/// ``DeviceRegistryConfiguration/changePollInterval`` (0.25 s) to pick up changes made by other
/// processes, such as `coap-registry`. After a rebuild, ``onChange(_:)`` handlers are told which
/// devices changed, so a gateway can close the sessions of a suspended or revoked device.
///
/// Secrets (PSK keys, sealing secrets) are encrypted with AES-256-GCM under the master key, with the
/// device id and credential id as associated data, before they reach the store.
public final class DeviceRegistry: Sendable {
    /// The store behind the registry.
    public let store: any DeviceStore
    /// The settings in use.
    public let configuration: DeviceRegistryConfiguration

    let key: MasterKey
    let logger: Logger
    private let snapshot = Locked(RegistrySnapshot.Reference(RegistrySnapshot.empty))
    /// Serializes snapshot rebuilds so a newer snapshot is never replaced by an older one.
    private let reloadGate = Locked(())
    private let handlers = Locked<[@Sendable (RegistryChange) -> Void]>([])
    let pending = Locked(PendingWrites())
    private let notifications = DispatchQueue(label: "securecoap.registry.changes")
    private let flushes = DispatchQueue(label: "securecoap.registry.flushes")
    private let monitor: PeriodicThread

    /// Writes batched for the background thread: last-seen times and security events.
    struct PendingWrites {
        var latestSeen: [String: Date] = [:]
        var unflushedSeen: [String: Date] = [:]
        var lastSeenFlush = Date.distantPast
        var events: [SecurityEvent] = []
        var droppedEvents = 0
        var lastStoreError: Date? = nil
        var flushing = false
        var closed = false
    }

    // MARK: Opening

    /// Opens (creating if needed) the SQLite store at `databasePath` (WAL), with the master key from
    /// `masterKeyFile` (nil: the `SECURECOAP_MASTER_KEY_FILE` environment variable, else
    /// `"<databasePath>.master-key"`).
    ///
    /// Throws a ``DeviceRegistryError`` with code ``DeviceRegistryError/Code/masterKey`` if the key
    /// file is missing, the wrong size, readable by group or others, or does not match the
    /// database; ``DeviceRegistryError/Code/unsupportedVersion`` for a database from a newer
    /// version; ``DeviceRegistryError/Code/databaseLocked`` if another process keeps it locked.
    public convenience init(
        databasePath: String, masterKeyFile: String? = nil, logger: Logger = Logger(label: "securecoap.registry")
    ) throws {
        try self.init(databasePath: databasePath, masterKeyFile: masterKeyFile, configuration: DeviceRegistryConfiguration(), logger: logger)
    }

    /// Like ``init(databasePath:masterKeyFile:logger:)``, with explicit settings.
    public convenience init(
        databasePath: String, masterKeyFile: String?, configuration: DeviceRegistryConfiguration,
        logger: Logger = Logger(label: "securecoap.registry")
    ) throws {
        let keyPath = Self.masterKeyPath(forDatabase: databasePath, explicit: masterKeyFile)
        let key = try MasterKey.load(path: keyPath)
        let store = try SQLiteDeviceStore(path: databasePath, busyTimeout: configuration.busyTimeout)
        try self.init(store: store, masterKey: key, configuration: configuration, logger: logger)
    }

    /// Opens a registry over any ``DeviceStore`` with a 32-byte master key.
    public convenience init(
        store: any DeviceStore, masterKey: [UInt8], configuration: DeviceRegistryConfiguration = DeviceRegistryConfiguration(),
        logger: Logger = Logger(label: "securecoap.registry")
    ) throws {
        try self.init(store: store, masterKey: MasterKey(bytes: SecureBytes(masterKey)), configuration: configuration, logger: logger)
    }

    init(store: any DeviceStore, masterKey: MasterKey, configuration: DeviceRegistryConfiguration, logger: Logger) throws {
        self.store = store
        self.key = masterKey
        self.configuration = configuration
        self.logger = logger
        self.monitor = PeriodicThread(name: "securecoap.registry.monitor", interval: .seconds(configuration.changePollInterval))
        try checkMasterKey()
        _ = try reload()
        if configuration.watchesForChanges {
            try monitor.start { [weak self] in self?.tick() }
        }
    }

    /// An in-memory registry (unit tests, demos), with a 32-byte master key.
    public static func inMemory(masterKey: [UInt8]) throws -> DeviceRegistry {
        var configuration = DeviceRegistryConfiguration()
        configuration.watchesForChanges = false
        return try DeviceRegistry(store: InMemoryDeviceStore(), masterKey: masterKey, configuration: configuration)
    }

    /// Creates a master key file: 32 random bytes as 64 hex digits and a newline, mode 0600. This is
    /// what `coap-registry init` calls. Refuses to overwrite an existing file.
    public static func createMasterKey(at path: String) throws {
        try MasterKey.create(at: path)
    }

    /// Where the master key is read from: `explicit` if given, else the `SECURECOAP_MASTER_KEY_FILE`
    /// environment variable, else `"<databasePath>.master-key"`.
    public static func masterKeyPath(forDatabase databasePath: String, explicit: String? = nil) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment["SECURECOAP_MASTER_KEY_FILE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return databasePath + ".master-key"
    }

    /// Stops watching the store and writes pending last-seen times and security events. Lookups keep
    /// working on the last snapshot; changes through this instance still work (and security events
    /// are then written at once). Idempotent.
    public func close() {
        monitor.stop()
        pending.withLock { $0.closed = true }
        flushNow()
        // A handler often holds what holds the registry: let the cycle go.
        handlers.withLock { $0.removeAll() }
    }

    /// Writes pending last-seen times and security events now, after any flush in progress.
    func flushNow() {
        flushes.sync { flushPendingWrites(force: true) }
    }

    deinit {
        monitor.stop()
        flushPendingWrites(force: true)
    }

    private static let keyCheckMetadata = "key_check"

    /// Refuses a master key that does not match the store's key check value; records it in a new store.
    private func checkMasterKey() throws {
        let stored = try store.read { try $0.metadata(Self.keyCheckMetadata) }
        if let stored {
            guard stored == key.checkValue else {
                throw DeviceRegistryError(
                    .masterKey, "the master key does not match this database (it was created with another key)")
            }
            return
        }
        try store.write { transaction in
            if let stored = try transaction.metadata(Self.keyCheckMetadata) {
                guard stored == key.checkValue else {
                    throw DeviceRegistryError(.masterKey, "the master key does not match this database (it was created with another key)")
                }
                return
            }
            guard try transaction.devices().isEmpty, try transaction.lastAuditEntry() == nil else {
                throw DeviceRegistryError(
                    .integrity, "the database holds data but no master key check value: it was tampered with")
            }
            try transaction.setMetadata(Self.keyCheckMetadata, key.checkValue)
            try appendAudit(transaction, .registryInitialized, deviceID: nil, detail: "registry created")
        }
    }

    // MARK: Lookups (loop thread: no I/O, no suspension)

    /// The current snapshot, by reference: taking it costs one retain, not a copy of every table.
    private var current: RegistrySnapshot.Reference { snapshot.withLock { $0 } }

    /// The key for a DTLS PSK identity, if the identity belongs to an active device and its
    /// credential is usable now (not revoked, inside not-before/not-after).
    ///
    /// Cost: one mutex, two hash lookups, two date comparisons.
    public func pskKey(forIdentity identity: String) -> PSKMatch? {
        current.value.pskKey(forIdentity: identity, now: Date())
    }

    /// The active device whose usable X.509 credential has this SHA-256 fingerprint (64 hex digits,
    /// either case, colons allowed) or, for credentials registered by subject only, this subject
    /// common name.
    ///
    /// Cost: one mutex, two or three hash lookups.
    public func deviceID(forCertificateFingerprint sha256Hex: String, subject: String?) -> String? {
        let fingerprint = Self.quickNormalizeFingerprint(sha256Hex)
        return current.value.deviceID(forCertificateFingerprint: fingerprint, subject: subject, now: Date())
    }

    /// The sealing secret with this kid, with its effective status (see ``SealingMatch``), or nil
    /// for an unknown kid.
    ///
    /// Cost: one mutex, two hash lookups.
    public func sealingSecret(forKid kid: [UInt8]) -> SealingMatch? {
        let reference = current
        return reference.value.sealingByKid[kid].map { reference.value.sealingMatch($0, now: Date()) }
    }

    /// Every sealing secret of a device, oldest first, each with its effective status.
    ///
    /// Cost: one mutex, one hash lookup plus one per secret.
    public func sealingSecrets(forDevice deviceID: String) -> [SealingMatch] {
        let reference = current
        let now = Date()
        return (reference.value.sealingByDevice[deviceID] ?? []).map { reference.value.sealingMatch($0, now: now) }
    }

    /// Whether `deviceID` may send `method` (GET, POST ...; any case) to `path`: the device must be
    /// active, no deny rule may match, and an allow rule (its own or one for all devices) must
    /// match. Everything else is denied.
    ///
    /// Cost: one mutex, two hash lookups, and a byte-wise segment comparison per rule.
    public func isAllowed(deviceID: String, method: String, path: String) -> Bool {
        current.value.isAllowed(deviceID: deviceID, method: method, path: path)
    }

    /// The device, with its latest last-seen time (including times recorded but not yet written).
    ///
    /// Cost: two mutexes, two hash lookups.
    public func device(_ id: String) -> Device? {
        guard var device = current.value.devices[id] else { return nil }
        if let seen = pending.withLock({ $0.latestSeen[id] }), device.lastSeen.map({ $0 < seen }) ?? true {
            device.lastSeen = seen
        }
        return device
    }

    /// Records that a gateway saw the device at `at`. Cheap (a mutex and a dictionary write); the
    /// background thread writes the latest times every ``DeviceRegistryConfiguration/lastSeenFlushInterval``.
    /// Not an audited change, and not a change for ``onChange(_:)``.
    public func recordSeen(_ deviceID: String, at: Date) {
        pending.withLock { pending in
            if pending.latestSeen[deviceID].map({ $0 < at }) ?? true {
                pending.latestSeen[deviceID] = at
                pending.unflushedSeen[deviceID] = at
            }
        }
    }

    /// Registers `handler`, called on a background queue after every change to devices,
    /// credentials or rules (by this process or another), with the ids of the devices concerned.
    /// Calls are serialized, in the order of the changes.
    public func onChange(_ handler: @escaping @Sendable (RegistryChange) -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// Records a security event reported by a gateway (a failed handshake, a replay, an access
    /// denial) in the audit log. Cheap: the entry is written by the background thread (or at
    /// ``close()``), with others in one transaction.
    public func recordSecurityEvent(_ event: SecurityEvent) {
        let closed = pending.withLock { pending -> Bool in
            if pending.events.count < configuration.maximumPendingEvents {
                pending.events.append(event)
            } else {
                pending.droppedEvents += 1
            }
            return pending.closed
        }
        // Without the background thread (in-memory registries, after close()), write at once.
        if !configuration.watchesForChanges || closed { flushNow() }
    }

    /// Re-reads the store now if it changed, and notifies ``onChange(_:)`` handlers. The
    /// background thread does this every poll interval; call it to be sure to see a change at once.
    public func refresh() throws {
        if let change = try reload() { notify(change) }
    }

    /// The current snapshot's change counter (for tests and diagnostics).
    var snapshotCounter: Int64 { current.value.counter }

    /// Credentials whose stored secret does not decrypt (altered or moved rows); never matched.
    public var unreadableCredentialIDs: [String] { current.value.unreadableCredentials }

    static func quickNormalizeFingerprint(_ text: String) -> String {
        if text.utf8.count == 64 && !text.utf8.contains(where: { (0x41...0x46).contains($0) }) { return text }
        return text.lowercased().filter { $0 != ":" && !$0.isWhitespace }
    }

    // MARK: Cache maintenance

    /// Rebuilds the snapshot if the store's change counter moved; returns what changed, or nil.
    @discardableResult
    func reload() throws -> RegistryChange? {
        try reloadGate.withLock { _ in
            let old = current.value
            let (counter, devices, credentials, rules) = try store.read { t in
                (try t.changeCounter(), try t.devices(), try t.credentials(), try t.rules())
            }
            if counter == old.counter { return nil }
            let new = try RegistrySnapshot.build(
                counter: counter, devices: devices, credentials: credentials, rules: rules, key: key, previous: old, logger: logger)
            snapshot.withLock { $0 = RegistrySnapshot.Reference(new) }
            return old.counter < 0 ? nil : new.change(since: old)
        }
    }

    func notify(_ change: RegistryChange) {
        let handlers = self.handlers.withLock { $0 }
        guard !handlers.isEmpty else { return }
        notifications.async {
            for handler in handlers { handler(change) }
        }
    }

    /// Runs an admin change in one store transaction, then refreshes the snapshot and notifies.
    func change<T>(_ body: (any DeviceStoreTransaction) throws -> T) throws -> T {
        let result = try store.write(body)
        do {
            try refresh()
        } catch {
            logger.warning("registry snapshot refresh failed after a change", metadata: ["registry.error": "\(error)"])
        }
        return result
    }

    /// Appends an audit entry inside `transaction`, chained to the last one, and moves the head record.
    func appendAudit(
        _ transaction: any DeviceStoreTransaction, _ action: AuditAction, deviceID: String?, detail: String,
        actor: String? = nil, time: Date = Date()
    ) throws {
        let entry = try AuditChain.entry(
            after: try transaction.lastAuditEntry(), time: time, action: action, deviceID: deviceID,
            actor: actor ?? configuration.actor, detail: detail, key: key.auditKey)
        try transaction.appendAuditEntry(entry)
        try transaction.setMetadata(AuditChain.headKey, try AuditChain.head(for: entry, key: key.auditKey))
    }

    /// One poll: look for changes first (a read, never blocked by writers in WAL mode), then hand
    /// batched writes to their own queue, so a writer holding the lock elsewhere cannot delay the
    /// detection of changes.
    private func tick() {
        do {
            let counter = try store.changeCounter()
            if counter != current.value.counter { try refresh() }
        } catch {
            reportStoreError(error)
        }
        let start = pending.withLock { pending -> Bool in
            guard !pending.flushing, !pending.events.isEmpty || pending.droppedEvents > 0 || !pending.unflushedSeen.isEmpty else { return false }
            pending.flushing = true
            return true
        }
        if start {
            flushes.async { [weak self] in
                guard let self else { return }
                self.flushPendingWrites(force: false)
                self.pending.withLock { $0.flushing = false }
            }
        }
    }

    private func reportStoreError(_ error: any Error) {
        let now = Date()
        let shouldLog = pending.withLock { pending -> Bool in
            if let last = pending.lastStoreError, now.timeIntervalSince(last) < 30 { return false }
            pending.lastStoreError = now
            return true
        }
        if shouldLog {
            logger.warning("registry store unavailable; lookups use the last snapshot", metadata: ["registry.error": "\(error)"])
        }
    }

    /// Writes batched last-seen times and security events.
    func flushPendingWrites(force: Bool) {
        let now = Date()
        let (seen, events, dropped) = pending.withLock { pending -> ([String: Date], [SecurityEvent], Int) in
            var seen: [String: Date] = [:]
            if force || now.timeIntervalSince(pending.lastSeenFlush) >= configuration.lastSeenFlushInterval {
                seen = pending.unflushedSeen
                pending.unflushedSeen = [:]
                pending.lastSeenFlush = now
            }
            let events = pending.events
            let dropped = pending.droppedEvents
            pending.events = []
            pending.droppedEvents = 0
            return (seen, events, dropped)
        }
        if !seen.isEmpty {
            do {
                try store.recordLastSeen(seen)
            } catch {
                pending.withLock { pending in
                    for (id, time) in seen where pending.unflushedSeen[id] == nil { pending.unflushedSeen[id] = time }
                }
                reportStoreError(error)
            }
        }
        if !events.isEmpty || dropped > 0 {
            do {
                try store.write { transaction in
                    for event in events {
                        try appendAudit(
                            transaction, event.kind.action, deviceID: event.deviceID, detail: event.auditDetail,
                            actor: "gateway \(configuration.actor)", time: event.time)
                    }
                    if dropped > 0 {
                        try appendAudit(
                            transaction, .eventsDropped, deviceID: nil,
                            detail: "\(dropped) security events arrived faster than they could be recorded and were dropped")
                    }
                }
            } catch {
                pending.withLock { pending in
                    let room = max(0, configuration.maximumPendingEvents - pending.events.count)
                    pending.events.insert(contentsOf: events.prefix(room), at: 0)
                    pending.droppedEvents += dropped + max(0, events.count - room)
                }
                reportStoreError(error)
            }
        }
    }
}
