public import Foundation
internal import LibCrypto
import Platform

/// The receiver's keys: several kids per device, each with a ``KeyStatus`` and a ``ReplayWindow``.
///
/// Kids are unique across the ring (the message names only its kid). Opening is two-phase for a
/// gateway that must commit before it marks a number as seen:
///
/// ```swift
/// let opened = try ring.open(message, deviceID: channelDevice)   // verify; replay-check only
/// try store.commit(opened)                                       // durable work
/// let window = try ring.record(opened)                           // now mark it seen; persist `window`
/// ```
///
/// or in one call, ``openAndRecord(_:deviceID:now:)``. Used from one thread (the gateway's loop) but
/// safe from any: state sits behind a mutex.
public final class KeyRing: Sendable {
    /// A class, so the hot path mutates the engine's scratch buffers in place without copying
    /// the entry; only touched under the lock.
    private final class Entry {
        let kid: [UInt8]
        let deviceID: String
        var status: KeyStatus
        var window: ReplayWindow
        var engine: SealingEngine

        init(status: KeyStatus, window: ReplayWindow, engine: SealingEngine) {
            self.kid = engine.kid
            self.deviceID = engine.deviceID
            self.status = status
            self.window = window
            self.engine = engine
        }
    }

    /// Keyed by kid slices: a message's kid is looked up without copying it out of the message.
    private let entries = Locked<[ArraySlice<UInt8>: Entry]>([:])

    /// An empty ring.
    public init() {}

    /// Adds `key` for `deviceID`. Throws ``SealingError/Code/duplicateKid`` if the kid is already
    /// present (in use by any device). Pass a persisted `replayWindow` when restoring.
    public func add(
        _ key: SealingKey,
        deviceID: String,
        status: KeyStatus = .active,
        replayWindow: ReplayWindow = ReplayWindow()
    ) throws {
        let engine = try SealingEngine(key: key, deviceID: deviceID)
        try entries.withLock { entries in
            guard entries[key.kid[...]] == nil else {
                throw SealingError(.duplicateKid, "kid \(key.kidHex) is already in the key ring")
            }
            entries[key.kid[...]] = Entry(status: status, window: replayWindow, engine: engine)
        }
    }

    /// Changes a kid's status. Throws ``SealingError/Code/unknownKid``.
    public func setStatus(_ status: KeyStatus, forKid kid: [UInt8]) throws {
        try entries.withLock { entries in
            guard let entry = entries[kid[...]] else { throw Self.unknownKid(kid) }
            entry.status = status
        }
    }

    /// Removes a kid; returns whether it was present.
    @discardableResult
    public func remove(kid: [UInt8]) -> Bool {
        entries.withLock { $0.removeValue(forKey: kid[...]) != nil }
    }

    /// A kid's status, or `nil` if unknown.
    public func status(ofKid kid: [UInt8]) -> KeyStatus? {
        entries.withLock { $0[kid[...]]?.status }
    }

    /// The device a kid belongs to, or `nil` if unknown.
    public func deviceID(ofKid kid: [UInt8]) -> String? {
        entries.withLock { $0[kid[...]]?.deviceID }
    }

    /// The kids of a device, sorted bytewise.
    public func kids(ofDevice deviceID: String) -> [[UInt8]] {
        entries.withLock { entries in
            entries.values.filter { $0.deviceID == deviceID }.map(\.kid)
        }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// A kid's replay window (to persist), or `nil` if unknown.
    public func replayWindow(ofKid kid: [UInt8]) -> ReplayWindow? {
        entries.withLock { $0[kid[...]]?.window }
    }

    /// Replaces a kid's replay window (to restore). Throws ``SealingError/Code/unknownKid``.
    public func setReplayWindow(_ window: ReplayWindow, forKid kid: [UInt8]) throws {
        try entries.withLock { entries in
            guard let entry = entries[kid[...]] else { throw Self.unknownKid(kid) }
            entry.window = window
        }
    }

    /// Parses, checks and decrypts `message`, and checks its sequence number against the replay
    /// window **without recording it**; call ``record(_:)`` once the payload has been handled.
    ///
    /// - Parameters:
    ///   - deviceID: the device the message came from (the DTLS identity), or `nil` to take the
    ///     kid's device (plain CoAP, where the seal is the only authentication).
    ///   - now: the time against which retired kids' grace deadlines are checked; `nil` (the
    ///     default) reads the clock, and only when the kid is retired.
    /// - Throws: ``SealingError`` with code `malformed`, `unsupportedAlgorithm`, `unknownKid`,
    ///   `revokedKid`, `deviceMismatch`, `replay` or `authenticationFailed`.
    public func open(_ message: [UInt8], deviceID: String? = nil, now: Date? = nil) throws -> OpenedPayload {
        try open(SealedPayload(parsing: message), deviceID: deviceID, now: now)
    }

    /// ``open(_:deviceID:now:)`` for a message already parsed (a caller that read its kid first
    /// need not parse it twice).
    public func open(_ payload: SealedPayload, deviceID: String? = nil, now: Date? = nil) throws -> OpenedPayload {
        try entries.withLock { entries in
            guard let entry = entries[payload.kidSlice] else { throw Self.unknownKid(payload.kidSlice) }
            return try Self.open(payload, with: entry, deviceID: deviceID, now: now)
        }
    }

    /// Marks an opened payload's sequence number as seen and returns the kid's new window (to
    /// persist). Throws ``SealingError/Code/replay`` if it was recorded meanwhile, and
    /// ``SealingError/Code/unknownKid`` if the kid was removed.
    @discardableResult
    public func record(_ opened: OpenedPayload) throws -> ReplayWindow {
        try entries.withLock { entries in
            guard let entry = entries[opened.kid[...]] else { throw Self.unknownKid(opened.kid) }
            guard entry.deviceID == opened.deviceID else {
                throw SealingError(.deviceMismatch, "kid \(Hex.encode(opened.kid)) does not belong to device \(opened.deviceID)")
            }
            guard entry.window.record(opened.sequenceNumber) else {
                throw Self.replay(opened.kid, opened.sequenceNumber)
            }
            return entry.window
        }
    }

    /// ``open(_:deviceID:now:)`` and ``record(_:)`` in one step, under one lock.
    public func openAndRecord(_ message: [UInt8], deviceID: String? = nil, now: Date? = nil) throws -> OpenedPayload {
        let payload = try SealedPayload(parsing: message)
        return try entries.withLock { entries in
            guard let entry = entries[payload.kidSlice] else { throw Self.unknownKid(payload.kidSlice) }
            let opened = try Self.open(payload, with: entry, deviceID: deviceID, now: now)
            entry.window.record(opened.sequenceNumber)
            return opened
        }
    }

    private static func open(
        _ payload: SealedPayload,
        with entry: Entry,
        deviceID: String?,
        now: Date?
    ) throws -> OpenedPayload {
        let kid = entry.kid
        let permitted: Bool
        switch entry.status {
        case .active: permitted = true
        case .revoked: permitted = false
        case .retired: permitted = entry.status.permitsOpening(at: now ?? Date())
        }
        guard permitted else {
            if case .retired = entry.status {
                throw SealingError(.revokedKid, "kid \(Hex.encode(kid)) is retired and past its grace deadline")
            }
            throw SealingError(.revokedKid, "kid \(Hex.encode(kid)) is revoked")
        }
        if let deviceID, deviceID != entry.deviceID {
            throw SealingError(.deviceMismatch, "kid \(Hex.encode(kid)) does not belong to device \(deviceID)")
        }
        guard entry.window.isFresh(payload.sequenceNumber) else {
            throw replay(kid, payload.sequenceNumber)
        }
        let plaintext = try entry.engine.open(payload)
        return OpenedPayload(payload: payload, kid: kid, deviceID: entry.deviceID, plaintext: plaintext)
    }

    private static func unknownKid(_ kid: some Collection<UInt8>) -> SealingError {
        SealingError(.unknownKid, "unknown kid \(Hex.encode(kid))")
    }

    private static func replay(_ kid: [UInt8], _ sequenceNumber: UInt64) -> SealingError {
        SealingError(.replay, "replayed or too old sequence number \(sequenceNumber) for kid \(Hex.encode(kid))")
    }
}
