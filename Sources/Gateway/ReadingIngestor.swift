import CBOR
import CoAP
import Foundation
import LibCrypto
import Logging
import Sealing
import SenML

/// `POST /readings`: authenticate, open, check, store durably, then answer.
///
/// Checks run on the loop thread (DESIGN.md, threading model); an accepted reading goes to the
/// ``CommitQueue``, whose worker stores everything that arrived meanwhile in one transaction (one
/// `fsync` under ``ReadingsDurability/powerLoss``). 2.01 is sent only after the commit, piggybacked
/// on the request's held-back ACK.
final class ReadingIngestor: Sendable {
    struct Limits: Sendable {
        var maxPayloadBytes: Int
        var maxRecords: Int
        var ratePerDevice: Double
        var burstPerDevice: Double
    }

    let directory: any GatewayDirectory
    let store: ReadingsStore
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
    /// Called after a commit, with the devices whose readings it stored (to notify observers).
    let onStored: @Sendable ([String]) -> Void
    /// Sealed messages accepted but not yet committed: a copy arriving meanwhile must not be
    /// stored twice.
    private let uncommitted = Locked<Set<SealedMessageID>>([])
    /// The commit queue (made on first use: it needs `self`).
    private let queue = Locked<CommitQueue?>(nil)

    init(directory: any GatewayDirectory, store: ReadingsStore, monitor: SecurityMonitor, limits: Limits, logger: Logger,
         onStored: @escaping @Sendable ([String]) -> Void) {
        self.directory = directory
        self.store = store
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

    private func refuse(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, device: String?, peer: String, _ message: String) -> CoAPResponse {
        if let event { monitor.record(event, deviceID: device, address: peer, detail: message) }
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

    /// Every check before the store: limits, lockouts, the seal, the device, access, rate, SenML,
    /// base names and the allow-list.
    func prepare(_ request: CoAPRequest, channelDevice: String?) -> Preparation {
        func refuse(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, device: String?, peer: String, _ message: String) -> Preparation {
            .refused(self.refuse(code, event, device: device, peer: peer, message))
        }
        let peer = request.peer?.host ?? "?"
        if monitor.isLockedOut(address: peer) {
            return refuse(.forbidden, nil, device: channelDevice, peer: peer, "locked out after repeated failures; try later")
        }
        if let channelDevice, monitor.isLockedOut(deviceID: channelDevice) {
            return refuse(.forbidden, nil, device: channelDevice, peer: peer, "device locked out after repeated failures; try later")
        }
        guard request.payload.count <= limits.maxPayloadBytes else {
            return refuse(.requestEntityTooLarge, .oversized, device: channelDevice, peer: peer,
                          "payload of \(request.payload.count) bytes; at most \(limits.maxPayloadBytes)")
        }
        var format = request.options.contentFormat
        var body = request.payload
        var device = channelDevice
        var opened: OpenedPayload?

        if format == .coseEncrypt0 {
            let payload: SealedPayload
            do { payload = try SealedPayload(parsing: request.payload) } catch {
                return refuse(.badRequest, .malformed, device: device, peer: peer, "not a COSE_Encrypt0 message")
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
                                                device: ring.deviceID(ofKid: payload.kid), peer: peer))
                case .unknownKid:
                    return refuse(.unauthorized, .unknownKid, device: channelDevice, peer: peer, "unknown kid \(payload.kidHex)")
                case .revokedKid:
                    return refuse(.unauthorized, .unknownKid, device: ring.deviceID(ofKid: payload.kid), peer: peer, "kid \(payload.kidHex) is revoked")
                case .deviceMismatch:
                    return refuse(.forbidden, .accessDenied, device: channelDevice, peer: peer, "kid \(payload.kidHex) is not this device's")
                case .authenticationFailed:
                    return refuse(.unauthorized, .tamperedSeal, device: ring.deviceID(ofKid: payload.kid), peer: peer,
                                  "the seal does not verify (tampered, or the wrong key)")
                default:
                    return refuse(.badRequest, .malformed, device: channelDevice, peer: peer, "cannot open the message: \(error.code)")
                }
            } catch {
                return refuse(.badRequest, .malformed, device: channelDevice, peer: peer, "cannot open the message")
            }
        } else {
            guard let channelDevice else {
                return refuse(.unauthorized, .unsealed, device: nil, peer: peer, "readings over plain CoAP must be sealed (Content-Format 16)")
            }
            if directory.device(channelDevice)?.requireSealedReadings ?? true {
                return refuse(.unauthorized, .unsealed, device: channelDevice, peer: peer, "this device must seal its readings")
            }
        }
        guard let deviceID = device, let record = directory.device(deviceID), record.isActive else {
            return refuse(.forbidden, .inactiveDevice, device: device, peer: peer, "the device is not active")
        }
        if monitor.isLockedOut(deviceID: deviceID) {
            return refuse(.forbidden, nil, device: deviceID, peer: peer, "device locked out after repeated failures; try later")
        }
        guard directory.isAllowed(deviceID: deviceID, method: "POST", path: "/readings") else {
            return refuse(.forbidden, .accessDenied, device: deviceID, peer: peer, "\(deviceID) may not POST /readings")
        }
        guard rateLimiter.allow(deviceID) else {
            return refuse(.tooManyRequests, .rateLimited, device: deviceID, peer: peer, "more than \(limits.ratePerDevice) messages per second")
        }
        let pack: SenMLPack
        do throws(SenMLError) {
            switch format {
            case .senmlCBOR: pack = try SenMLPack(cbor: body, maxRecords: limits.maxRecords)
            case .senmlJSON: pack = try SenMLPack(json: body, maxRecords: limits.maxRecords)
            default:
                return refuse(.unsupportedContentFormat, .malformed, device: deviceID, peer: peer, "readings are SenML JSON (110) or CBOR (112)")
            }
        } catch {
            if error.code == .tooManyRecords {
                return refuse(.requestEntityTooLarge, .oversized, device: deviceID, peer: peer, error.message)
            }
            return refuse(.badRequest, .malformed, device: deviceID, peer: peer, error.message)
        }
        for r in pack.records {
            if let bn = r.baseName, !Self.isOwn(name: bn, of: deviceID) {
                return refuse(.forbidden, .foreignBaseName, device: deviceID, peer: peer, "the base name names another device")
            }
        }
        var measurements: [SenMLMeasurement]
        do { measurements = try pack.resolved() } catch {
            return refuse(.badRequest, .malformed, device: deviceID, peer: peer, error.message)
        }
        // Names without a base name are the device's own.
        for i in measurements.indices where !Self.isOwn(name: measurements[i].name, of: deviceID) {
            measurements[i].name = deviceID + "/" + measurements[i].name
        }
        if let allowed = record.allowedNames {
            let before = measurements.count
            measurements.removeAll { m in
                let short = m.name.dropFirst(deviceID.count).drop { $0 == "/" || $0 == ":" }
                return !allowed.contains(String(short))
            }
            droppedByAllowList.withLock { $0 += before - measurements.count }
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
                return .refused(alreadySeen(request, kid: opened.kid, sequenceNumber: opened.sequenceNumber, device: deviceID, peer: peer))
            }
        }
        return .ready(PreparedReading(
            deviceID: deviceID, measurements: measurements, opened: opened, payload: request.payload,
            peer: request.peer))
    }

    /// Whether a SenML name (or base name) is the device's: its id, or its id then `/` or `:` and more
    /// (compared without building the prefixes).
    static func isOwn(name: String, of deviceID: String) -> Bool {
        var rest = name.utf8[...]
        for byte in deviceID.utf8 {
            guard rest.first == byte else { return false }
            rest = rest.dropFirst()
        }
        return rest.isEmpty || rest.first == UInt8(ascii: "/") || rest.first == UInt8(ascii: ":")
    }

    /// The answer to a sealed message whose number was used: 2.01 again for a retransmission of
    /// what is stored (same bytes, same sender, within the exchange lifetime), else a replay.
    private func alreadySeen(_ request: CoAPRequest, kid: [UInt8], sequenceNumber: UInt64, device: String?, peer: String) -> CoAPResponse {
        let key = SealedMessageID(kid: kid, sequenceNumber: sequenceNumber)
        let digest = RecentMessages.digest(of: request.payload)
        let now = Date().timeIntervalSince1970
        if let seen = recent.withLock({ $0.lookup(key, now: now) }), seen.digest == digest, seen.peer == request.peer {
            return .status(.created)
        }
        return refuse(.unauthorized, .replay, device: device, peer: peer,
                      "replayed message (kid \(Hex.encode(kid)), sequence \(sequenceNumber))")
    }

    /// Stores `batch` in one durable transaction, then answers each reading: 2.01 when committed,
    /// 5.03 when not (nothing of the batch is stored then, and no sequence number is used up).
    func commit(_ batch: [PreparedReading]) -> [CoAPResponse] {
        let now = Date().timeIntervalSince1970
        // Each kid's window as it will be once the batch's numbers are recorded, in order.
        var windows: [[UInt8]: ReplayWindow] = [:]
        let rows = batch.map { reading -> ReadingsStore.NewReading in
            var row = ReadingsStore.NewReading(device: reading.deviceID, time: now, measurements: reading.measurements)
            if let opened = reading.opened {
                var window = windows[opened.kid] ?? ring.replayWindow(ofKid: opened.kid) ?? ReplayWindow()
                _ = window.record(opened.sequenceNumber)
                windows[opened.kid] = window
                row.replay = (opened.kid, window)
            }
            return row
        }
        let committed: Bool
        do {
            try store.append(rows)
            committed = true
        } catch {
            logger.error("readings not stored", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            committed = false
        }
        var accepted: [(SealedMessageID, RecentMessages.Entry)] = []
        accepted.reserveCapacity(batch.count)
        for reading in batch {
            guard let opened = reading.opened else { continue }
            let key = SealedMessageID(kid: opened.kid, sequenceNumber: opened.sequenceNumber)
            if committed { _ = try? ring.record(opened) }
            accepted.append((key, .init(time: now, digest: committed ? RecentMessages.digest(of: reading.payload) : 0, peer: reading.peer)))
        }
        if committed {
            recent.withLock { recent in for (key, entry) in accepted { recent.insert(key, entry) } }
        }
        uncommitted.withLock { set in for (key, _) in accepted { set.remove(key) } }
        guard committed else {
            var response = CoAPResponse(text: "the readings store is unavailable; nothing was stored")
            response.code = .serviceUnavailable
            return Array(repeating: response, count: batch.count)
        }
        stored.withLock { $0 += batch.count }
        commits.withLock { $0 += 1 }
        var devices: Set<String> = []
        let seen = Date()
        for reading in batch where devices.insert(reading.deviceID).inserted {
            directory.recordSeen(reading.deviceID, at: seen)
        }
        onStored(Array(devices))
        return Array(repeating: .status(.created), count: batch.count)
    }

    /// Puts a kid in the ring from the directory on first use, with its persisted replay window.
    private func ensureKid(_ kid: [UInt8]) {
        guard ring.status(ofKid: kid) == nil, let secret = directory.sealingSecret(forKid: kid) else { return }
        do {
            let key = try DeviceSecret(bytes: SecureBytes(secret.secret)).deriveKey(kid: kid, algorithm: secret.algorithm)
            try ring.add(key, deviceID: secret.deviceID, status: secret.status, replayWindow: store.replayWindow(kid: kid) ?? ReplayWindow())
        } catch {
            logger.warning("cannot use a sealing secret", metadata: ["kid": "\(Hex.encode(kid))", "error": "\(error)"])
        }
    }
}
