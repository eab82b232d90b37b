import CBOR
import CoAP
import Foundation
import LibCrypto
import Logging
import Sealing
import SenML
import Platform

/// `POST /readings`: authenticate, open, check, store durably, then answer.
///
/// The message's checks run on the loop thread (DESIGN.md, threading model): lockouts, size, the
/// seal, the device, access, rate. An accepted message goes to the ``CommitQueue``, whose worker
/// reads its SenML (``measurements(of:now:)``: a bad pack is refused there, alone) and stores
/// everything that arrived meanwhile in one transaction (one `fsync` under
/// ``ReadingsDurability/powerLoss``). The answer — 2.01 only after the commit — is sent
/// piggybacked on the request's held-back ACK.
final class ReadingIngestor: Sendable {
    struct Limits: Sendable {
        var maxPayloadBytes: Int
        var maxRecords: Int
        var ratePerDevice: Double
        var burstPerDevice: Double
    }

    let directory: any GatewayDirectory
    let store: ReadingsStore
    /// The readings store and the replay state beside it.
    let storage: GatewayStorage
    /// Windows the replay state has not taken yet (its last write failed): written with the next group.
    private let unsyncedWindows = Locked<[[UInt8]: ReplayWindow]>([:])
    let ring = KeyRing()
    let monitor: SecurityMonitor
    let limits: Limits
    let rateLimiter: RateLimiter
    let logger: Logger
    /// Accepted sealed messages → (when, digest, sender): a CON retransmission of an accepted
    /// sealed message is answered again without storing it twice.
    private let recent = Locked(RecentMessages())
    /// Readings stored, and dropped by the per-device name allow-list.
    let stored = Locked(0)
    /// Store transactions that committed readings (fewer than `stored` when commits were grouped).
    let commits = Locked(0)
    let droppedByAllowList = Locked(0)
    /// The Max-Age of a 5.03 for a reading the store could not commit: when to try again.
    static let retryAfterSeconds: UInt32 = 10

    /// How the last commit went, for `GET /health`.
    let commitState = Locked(CommitState.ok)

    enum CommitState: Sendable {
        case ok
        /// The last commit failed; `full` when its file system is full.
        case failing(full: Bool)
    }
    /// Called after a commit, with the devices whose readings it stored (to notify observers).
    let onStored: @Sendable ([String]) -> Void
    /// Sealed messages accepted but not yet committed: a copy arriving meanwhile must not be
    /// stored twice.
    private let uncommitted = Locked<Set<SealedMessageID>>([])
    /// The commit queue (made on first use: it needs `self`).
    private let queue = Locked<CommitQueue?>(nil)

    init(directory: any GatewayDirectory, storage: GatewayStorage, monitor: SecurityMonitor, limits: Limits, logger: Logger,
         onStored: @escaping @Sendable ([String]) -> Void) {
        self.directory = directory
        self.storage = storage
        self.store = storage.readings
        self.monitor = monitor
        self.limits = limits
        self.rateLimiter = RateLimiter(rate: limits.ratePerDevice, burst: limits.burstPerDevice)
        self.logger = logger
        self.onStored = onStored
    }

    /// Forgets cached kids of changed devices: they are looked up again, with their new status.
    /// (An empty set — a rule for all devices changed — leaves the kids: rules are checked per
    /// request, and a device's status is read from the directory on every message.)
    func forget(devices: Set<String>) {
        for device in devices {
            for kid in ring.kids(ofDevice: device) { _ = ring.remove(kid: kid) }
        }
    }

    /// Records `event` (when given) and returns the refusal's answer. `device` is the device the
    /// refusal proves misbehaved (the channel's, or a verified seal's); `claimed` one only named.
    func refuse(
        _ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, device: String?, claimed: String? = nil, source: CoAPPeerAddress?,
        _ message: String
    ) -> CoAPResponse {
        if let event { monitor.record(event, device: device, claimed: claimed, source: source, detail: message) }
        var response = CoAPResponse(text: message)
        response.code = code
        return response
    }

    /// Handles one `POST /readings` on the loop thread. `channelDevice` is the device the DTLS
    /// session authenticated, nil over plain CoAP. Returns the answer to a refused reading; an
    /// accepted one goes to the commit queue and returns nil: `later` gets 2.01 once it is durable.
    func ingest(_ request: CoAPRequest, channelDevice: String?, later: CoAPDeferredResponse) -> CoAPResponse? {
        let reading: PreparedReading
        switch prepare(request, channelDevice: channelDevice) {
        case .refused(let response): return response
        case .ready(let ready): reading = ready
        }
        guard commitQueue().submit(reading, answer: later) else {
            if let opened = reading.opened {
                _ = uncommitted.withLock { $0.remove(SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)) }
            }
            var response = CoAPResponse(text: "the gateway is shutting down; nothing was stored")
            response.code = .serviceUnavailable
            return response
        }
        return nil
    }

    /// Graceful shutdown: refuses new readings (5.03) and waits until the queued ones are
    /// committed and answered. Returns whether they all were within `timeout` seconds.
    @discardableResult
    func finish(timeout: Double) -> Bool {
        commitQueue().close(timeout: timeout)
    }

    /// The commit queue, made on first use (it needs `self`).
    private func commitQueue() -> CommitQueue {
        queue.withLock { q in
            if let q { return q }
            // Weak: the worker may still drain after the gateway is gone (it then answers 5.03);
            // an unowned reference here was a use-after-free once the Gateway was released.
            let made = CommitQueue { [weak self] batch in
                self?.commit(batch) ?? Array(repeating: CoAPResponse.status(.serviceUnavailable), count: batch.count)
            }
            q = made
            return made
        }
    }

    /// What `prepare` decided: refused with this answer, or ready to store.
    enum Preparation {
        case refused(CoAPResponse)
        case ready(PreparedReading)
    }

    /// The checks made on the loop thread: limits, lockouts, the seal, the device, access, rate and
    /// the content format. The SenML itself (base names, names, the allow-list) is read by the
    /// commit worker, which answers a refused pack in its batch: the answer waits for the commit
    /// either way, so a refusal comes no later, and the loop thread, which every request shares,
    /// does ~5 µs less per reading.
    func prepare(_ request: CoAPRequest, channelDevice: String?) -> Preparation {
        func refuse(
            _ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, device: String?, claimed: String? = nil, _ message: String
        ) -> Preparation {
            .refused(self.refuse(code, event, device: device, claimed: claimed, source: request.peer, message))
        }
        // Nothing is refused for the source address: over plain CoAP it can be spoofed, and a
        // device that proves itself (its session, or a seal that verifies) is served.
        if let channelDevice, monitor.isLockedOut(deviceID: channelDevice) {
            return refuse(.forbidden, nil, device: channelDevice, "device locked out after repeated failures; try later")
        }
        guard request.payload.count <= limits.maxPayloadBytes else {
            return refuse(.requestEntityTooLarge, .oversized, device: channelDevice,
                          "payload of \(request.payload.count) bytes; at most \(limits.maxPayloadBytes)")
        }
        var format = request.options.contentFormat
        var body = request.payload
        var device = channelDevice
        var opened: OpenedPayload?

        if format == .coseEncrypt0 {
            let payload: SealedPayload
            do { payload = try SealedPayload(parsing: request.payload) } catch {
                return refuse(.badRequest, .malformed, device: channelDevice, "not a COSE_Encrypt0 message")
            }
            do {
                let result: OpenedPayload
                do { result = try ring.open(payload, deviceID: channelDevice) } catch let error as SealingError where error.code == .unknownKid {
                    // First use of this kid since start (or since its device changed): from the directory.
                    ensureKid(payload.kid)
                    result = try ring.open(payload, deviceID: channelDevice)
                }
                opened = result
                device = result.deviceID
                body = result.plaintext
                format = ContentFormat(rawValue: result.contentFormat)
            } catch let error as SealingError {
                switch error.code {
                case .replay:
                    return .refused(alreadySeen(request, kid: payload.kid, sequenceNumber: payload.sequenceNumber,
                                                device: ring.deviceID(ofKid: payload.kid)))
                // A seal that does not open proves nothing about the device its kid names: only
                // the channel's device (over DTLS) is answerable for it.
                case .unknownKid:
                    return refuse(.unauthorized, .unknownKid, device: channelDevice, "unknown kid \(payload.kidHex)")
                case .revokedKid:
                    return refuse(.unauthorized, .unknownKid, device: channelDevice, claimed: ring.deviceID(ofKid: payload.kid),
                                  "kid \(payload.kidHex) is revoked")
                case .deviceMismatch:
                    return refuse(.forbidden, .accessDenied, device: channelDevice, claimed: ring.deviceID(ofKid: payload.kid),
                                  "kid \(payload.kidHex) is not this device's")
                case .authenticationFailed:
                    return refuse(.unauthorized, .tamperedSeal, device: channelDevice, claimed: ring.deviceID(ofKid: payload.kid),
                                  "the seal does not verify (tampered, or the wrong key)")
                default:
                    return refuse(.badRequest, .malformed, device: channelDevice, "cannot open the message: \(error.code)")
                }
            } catch {
                return refuse(.badRequest, .malformed, device: channelDevice, "cannot open the message")
            }
        } else {
            guard let channelDevice else {
                return refuse(.unauthorized, .unsealed, device: nil, "readings over plain CoAP must be sealed (Content-Format 16)")
            }
            if directory.device(channelDevice)?.requireSealedReadings ?? true {
                return refuse(.unauthorized, .unsealed, device: channelDevice, "this device must seal its readings")
            }
        }
        guard let deviceID = device, let record = directory.device(deviceID), record.isActive else {
            return refuse(.forbidden, .inactiveDevice, device: device, "the device is not active")
        }
        if monitor.isLockedOut(deviceID: deviceID) {
            return refuse(.forbidden, nil, device: deviceID, "device locked out after repeated failures; try later")
        }
        guard directory.isAllowed(deviceID: deviceID, method: "POST", path: "/readings") else {
            return refuse(.forbidden, .accessDenied, device: deviceID, "\(deviceID) may not POST /readings")
        }
        guard rateLimiter.allow(deviceID) else {
            return refuse(.tooManyRequests, .rateLimited, device: deviceID, "more than \(limits.ratePerDevice) messages per second")
        }
        // The pack itself is read by the commit worker (``measurements(of:now:)``), off this thread.
        guard let senml = format, senml == .senmlCBOR || senml == .senmlJSON else {
            return refuse(.unsupportedContentFormat, .malformed, device: deviceID, "readings are SenML JSON (110) or CBOR (112)")
        }
        if let opened {
            let key = SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)
            guard uncommitted.withLock({ $0.insert(key).inserted }) else {
                // The same sealed message is being stored right now (a copy from an attacker, or
                // a duplicate from the node itself): never stored twice, and the node, if it was
                // the node, asks again and gets 2.01 from `recent` once the commit is done.
                var response = CoAPResponse(text: "this message is being stored; try again")
                response.code = .serviceUnavailable
                response.options.maxAge = 1
                return .refused(response)
            }
            // The original may have been committed (and its number recorded) between opening
            // this copy and claiming it: look again now that the claim holds.
            if let window = ring.replayWindow(ofKid: opened.kid), !window.isFresh(opened.sequenceNumber) {
                _ = uncommitted.withLock { $0.remove(key) }
                return .refused(alreadySeen(request, kid: opened.kid, sequenceNumber: opened.sequenceNumber, device: deviceID))
            }
        }
        return .ready(PreparedReading(
            deviceID: deviceID, body: body, format: senml, allowedNames: record.allowedNames, opened: opened,
            payload: request.payload, peer: request.peer))
    }

    /// Whether a SenML name (or base name) is the device's: its id, or its id then `/` or `:` and more
    /// (compared in place, without building the prefixes: this runs for every name of every reading).
    static func isOwn(name: String, of deviceID: String) -> Bool {
        var name = name, deviceID = deviceID
        return name.withUTF8 { n in
            deviceID.withUTF8 { d in
                guard n.count >= d.count, d.isEmpty || memcmp(n.baseAddress!, d.baseAddress!, d.count) == 0 else { return false }
                return n.count == d.count || n[d.count] == UInt8(ascii: "/") || n[d.count] == UInt8(ascii: ":")
            }
        }
    }

    /// The answer to a sealed message whose number was used: 2.01 again for a retransmission of
    /// what is stored (same bytes, same sender, within the exchange lifetime), else a replay.
    private func alreadySeen(_ request: CoAPRequest, kid: [UInt8], sequenceNumber: UInt64, device: String?) -> CoAPResponse {
        let key = SealedMessageID(kid: kid, sequenceNumber: sequenceNumber)
        let digest = RecentMessages.digest(of: request.payload)
        let now = Date().timeIntervalSince1970
        if let seen = recent.withLock({ $0.lookup(key, now: now) }), seen.digest == digest, seen.peer == request.peer {
            return .status(.created)
        }
        // Anyone can replay a captured message: it proves nothing about its device.
        return refuse(.unauthorized, .replay, device: nil, claimed: device, source: request.peer,
                      "replayed message (kid \(Hex.encode(kid)), sequence \(sequenceNumber))")
    }

    /// Reads each message's SenML (refusing those ``measurements(of:now:)`` refuses), stores the
    /// rest in one durable transaction, then answers each message in order: 2.01 when committed,
    /// its refusal, or 5.03 when the commit failed (nothing of the batch is stored then, and no
    /// sequence number is used up).
    func commit(_ batch: [PreparedReading]) -> [CoAPResponse] {
        let now = Date().timeIntervalSince1970
        var answers = Array(repeating: CoAPResponse.status(.created), count: batch.count)
        // Each kid's window as it will be once the batch's numbers are recorded, in order.
        var windows: [[UInt8]: ReplayWindow] = [:]
        var rows: [ReadingsStore.NewReading] = []
        var kept: [Int] = []
        rows.reserveCapacity(batch.count)
        kept.reserveCapacity(batch.count)
        for (i, reading) in batch.enumerated() {
            let measurements: [SenMLMeasurement]
            do { measurements = try self.measurements(of: reading, now: now) } catch {
                answers[i] = error.response
                continue
            }
            var row = ReadingsStore.NewReading(device: reading.deviceID, time: now, measurements: measurements)
            if let opened = reading.opened {
                var window = windows[opened.kid] ?? ring.replayWindow(ofKid: opened.kid) ?? ReplayWindow()
                _ = window.record(opened.sequenceNumber)
                windows[opened.kid] = window
                row.replay = (opened.kid, window)
            }
            rows.append(row)
            kept.append(i)
        }
        var committed = true
        if !rows.isEmpty {
            do {
                try store.append(rows)
                commitState.withLock { $0 = .ok }
            } catch {
                logger.error("readings not stored", metadata: ["count": "\(rows.count)", "error": "\(error)"])
                committed = false
                commitState.withLock { $0 = .failing(full: (error as? GatewayError)?.storageIsFull ?? false) }
            }
        }
        if committed, !windows.isEmpty || !unsyncedWindows.withLock({ $0.isEmpty }) {
            // The replay state, after the readings and before the answers: no acknowledged
            // message is newer than it. If it cannot be written, the readings store's copy holds
            // the windows, and the next group (or the next start) writes them.
            let pending = unsyncedWindows.withLock { unsynced in
                defer { unsynced.removeAll() }
                return unsynced.merging(windows) { $1 }
            }
            do { try storage.replay.record(pending, commits: store.commits) } catch {
                logger.error("replay state not written; the readings store holds its copy", metadata: ["error": "\(error)"])
                unsyncedWindows.withLock { $0.merge(pending) { current, _ in current } }
            }
        }
        var recorded: [(SealedMessageID, RecentMessages.Entry)] = []
        recorded.reserveCapacity(kept.count)
        if committed {
            for i in kept {
                guard let opened = batch[i].opened else { continue }
                _ = try? ring.record(opened)
                recorded.append((SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber),
                                 .init(time: now, digest: RecentMessages.digest(of: batch[i].payload), peer: batch[i].peer)))
            }
            recent.withLock { recent in for (key, entry) in recorded { recent.insert(key, entry) } }
        }
        uncommitted.withLock { set in
            for reading in batch {
                if let opened = reading.opened { set.remove(SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)) }
            }
        }
        guard committed else {
            var response = CoAPResponse(text: "the readings store is unavailable; nothing was stored")
            response.code = .serviceUnavailable
            response.options.maxAge = Self.retryAfterSeconds
            for i in kept { answers[i] = response }
            return answers
        }
        guard !kept.isEmpty else { return answers }
        stored.withLock { $0 += kept.count }
        commits.withLock { $0 += 1 }
        var devices: Set<String> = []
        let seen = Date()
        for i in kept where devices.insert(batch[i].deviceID).inserted {
            directory.recordSeen(batch[i].deviceID, at: seen)
        }
        onStored(Array(devices))
        return answers
    }

    /// Puts a kid in the ring from the directory on first use, with its persisted replay window.
    private func ensureKid(_ kid: [UInt8]) {
        guard ring.status(ofKid: kid) == nil, let secret = directory.sealingSecret(forKid: kid) else { return }
        do {
            let key = try DeviceSecret(bytes: SecureBytes(secret.secret)).deriveKey(kid: kid, algorithm: secret.algorithm)
            try ring.add(key, deviceID: secret.deviceID, status: secret.status, replayWindow: storage.window(kid: kid))
        } catch {
            logger.warning("cannot use a sealing secret", metadata: ["kid": "\(Hex.encode(kid))", "error": "\(error)"])
        }
    }
}
