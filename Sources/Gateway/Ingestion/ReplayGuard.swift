import CoAP
import Foundation
import LibCrypto
import Logging
import Platform
import Sealing

/// All the replay state of sealed readings, in one owner: the key ring (each kid's key and its
/// window of sequence numbers seen), the messages being stored right now, the messages stored in
/// the last exchange lifetime (a CON retransmission of one is answered 2.01 again, not stored
/// twice), and the windows' durable copy in the replay state beside the readings
/// (``ReplayStore``, docs/security.md, "Replay protection").
///
/// The seal stage opens messages through it (``open(_:channelDevice:)``); the commit stage claims
/// a message before it queues it (``claim(_:)``) and settles the claims of each batch it commits
/// (``windows(after:)``, ``settle(_:committed:)``).
final class ReplayGuard: Sendable {
    let ring = KeyRing()
    private let directory: any GatewayDirectory
    private let storage: GatewayStorage
    private let refusals: Refusals
    private let logger: Logger
    /// Accepted sealed messages → (when, digest, sender).
    private let recent = Locked(RecentMessages())
    /// Sealed messages accepted but not yet committed: a copy arriving meanwhile must not be
    /// stored twice.
    private let uncommitted = Locked<Set<SealedMessageID>>([])
    /// Windows the replay state has not taken yet (its last write failed): written with the next group.
    private let unsynced = Locked<[[UInt8]: ReplayWindow]>([:])

    init(directory: any GatewayDirectory, storage: GatewayStorage, refusals: Refusals, logger: Logger) {
        self.directory = directory
        self.storage = storage
        self.refusals = refusals
        self.logger = logger
    }

    /// Opens a sealed message under its kid (loaded from the directory on first use, with its
    /// stored window), refusing a number its window has seen.
    func open(_ payload: SealedPayload, channelDevice: String?) throws -> OpenedPayload {
        do { return try ring.open(payload, deviceID: channelDevice) } catch let error as SealingError where error.code == .unknownKid {
            load(kid: payload.kid)
            return try ring.open(payload, deviceID: channelDevice)
        }
    }

    /// The device a kid belongs to, if the ring knows the kid.
    func deviceID(ofKid kid: [UInt8]) -> String? { ring.deviceID(ofKid: kid) }

    /// Forgets the kids of changed devices: they are loaded again, with their new status.
    func forget(devices: Set<String>) {
        for device in devices {
            for kid in ring.kids(ofDevice: device) { _ = ring.remove(kid: kid) }
        }
    }

    /// The answer to a sealed message whose number was used: 2.01 again for a retransmission of
    /// what is stored (same bytes, same sender, within the exchange lifetime), else a replay.
    func alreadySeen(_ request: CoAPRequest, kid: [UInt8], sequenceNumber: UInt64, device: String?) -> CoAPResponse {
        let key = SealedMessageID(kid: kid, sequenceNumber: sequenceNumber)
        let digest = RecentMessages.digest(of: request.payload)
        let now = Date().timeIntervalSince1970
        if let seen = recent.withLock({ $0.lookup(key, now: now) }), seen.digest == digest, seen.peer == request.peer {
            return .status(.created)
        }
        // Anyone can replay a captured message: it proves nothing about its device.
        return refusals.refuse(.unauthorized, .replay, device: nil, claimed: device, source: request.peer,
                               "replayed message (kid \(Hex.encode(kid)), sequence \(sequenceNumber))")
    }

    /// Claims a message for the commit: nil when claimed, else the answer (it is being stored,
    /// or it was stored meanwhile).
    func claim(_ reading: PreparedReading, request: CoAPRequest) -> CoAPResponse? {
        guard let opened = reading.opened else { return nil }
        let key = SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)
        guard uncommitted.withLock({ $0.insert(key).inserted }) else {
            // The same sealed message is being stored right now (a copy from an attacker, or a
            // duplicate from the node itself): never stored twice; the node, if it was the node,
            // asks again and gets 2.01 once the commit is done.
            var response = CoAPResponse(text: "this message is being stored; try again")
            response.code = .serviceUnavailable
            response.options.maxAge = 1
            return response
        }
        // The original may have been committed (and its number recorded) between opening this
        // copy and claiming it: look again now that the claim holds.
        if let window = ring.replayWindow(ofKid: opened.kid), !window.isFresh(opened.sequenceNumber) {
            release([reading])
            return alreadySeen(request, kid: opened.kid, sequenceNumber: opened.sequenceNumber, device: reading.deviceID)
        }
        return nil
    }

    /// Lets go of claims (their messages were refused, or not stored).
    func release(_ readings: some Sequence<PreparedReading>) {
        uncommitted.withLock { set in
            for reading in readings {
                if let opened = reading.opened { set.remove(SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)) }
            }
        }
    }

    /// Each kid's window as it will be once `readings`' numbers are recorded, in order (the
    /// readings store keeps this copy in the same transaction as the readings).
    func windows(after readings: [PreparedReading]) -> [(kid: [UInt8], window: ReplayWindow)?] {
        var windows: [[UInt8]: ReplayWindow] = [:]
        return readings.map { reading in
            guard let opened = reading.opened else { return nil }
            var window = windows[opened.kid] ?? ring.replayWindow(ofKid: opened.kid) ?? ReplayWindow()
            _ = window.record(opened.sequenceNumber)
            windows[opened.kid] = window
            return (opened.kid, window)
        }
    }

    /// After the readings store committed `readings` with `windows` (each kid's last, from
    /// ``windows(after:)``), or failed to: the replay state is written, then the numbers recorded
    /// and remembered; every claim is let go either way.
    func settle(_ readings: [PreparedReading], windows: [[UInt8]: ReplayWindow], committed: Bool, readingsCommits: Int64) {
        defer { release(readings) }
        guard committed else { return }
        if !windows.isEmpty || !unsynced.withLock({ $0.isEmpty }) {
            // The replay state, after the readings and before the answers: no acknowledged message
            // is newer than it. If it cannot be written, the readings store's copy holds the
            // windows, and the next group (or the next start) writes them.
            let pending = unsynced.withLock { unsynced in
                defer { unsynced.removeAll() }
                return unsynced.merging(windows) { $1 }
            }
            do { try storage.replay.record(pending, commits: readingsCommits) } catch {
                logger.error("replay state not written; the readings store holds its copy", metadata: ["error": "\(error)"])
                unsynced.withLock { $0.merge(pending) { current, _ in current } }
            }
        }
        let now = Date().timeIntervalSince1970
        var remembered: [(SealedMessageID, RecentMessages.Entry)] = []
        for reading in readings {
            guard let opened = reading.opened else { continue }
            _ = try? ring.record(opened)
            remembered.append((SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber),
                               .init(time: now, digest: RecentMessages.digest(of: reading.payload), peer: reading.peer)))
        }
        recent.withLock { recent in for (key, entry) in remembered { recent.insert(key, entry) } }
    }

    /// Puts a kid in the ring from the directory on first use, with its stored window.
    private func load(kid: [UInt8]) {
        guard ring.status(ofKid: kid) == nil, let secret = directory.sealingSecret(forKid: kid) else { return }
        do {
            let key = try DeviceSecret(bytes: SecureBytes(secret.secret)).deriveKey(kid: kid, algorithm: secret.algorithm)
            try ring.add(key, deviceID: secret.deviceID, status: secret.status, replayWindow: storage.window(kid: kid))
        } catch {
            logger.warning("cannot use a sealing secret", metadata: ["kid": "\(Hex.encode(kid))", "error": "\(error)"])
        }
    }
}
