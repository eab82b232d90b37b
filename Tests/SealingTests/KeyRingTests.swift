import Foundation
import LibCrypto
import Sealing
import Testing
import TestSupport

@Suite("KeyRing")
struct KeyRingTests {
    let secret: DeviceSecret
    let oldKey: SealingKey
    let newKey: SealingKey

    init() throws {
        secret = try TestSupport.randomSecret()
        oldKey = try secret.deriveKey(kid: [0x01])
        newKey = try secret.deriveKey(kid: [0x02])
    }

    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as SealingError { return e.code.name } catch { return "other" }
    }

    @Test("several kids per device; the opened payload says which kid was used")
    func rotation() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        try ring.add(newKey, deviceID: "dev-1")
        let a = try oldKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 0)
        let b = try newKey.seal([2], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 0)
        #expect(try ring.openAndRecord(a, deviceID: "dev-1").kid == [0x01])
        #expect(try ring.openAndRecord(b, deviceID: "dev-1").kid == [0x02])
        #expect(ring.kids(ofDevice: "dev-1") == [[0x01], [0x02]])
        #expect(ring.deviceID(ofKid: [0x02]) == "dev-1")
        #expect(code { try ring.add(newKey, deviceID: "dev-2") } == "duplicateKid")
    }

    @Test("statuses: retired opens until its grace deadline, revoked never, unknown is unknown")
    func statuses() throws {
        let ring = KeyRing()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try ring.add(oldKey, deviceID: "dev-1", status: .retired(graceUntil: now.addingTimeInterval(60)))
        try ring.add(newKey, deviceID: "dev-1", status: .revoked)
        let old = try oldKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 1)
        let new = try newKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 1)
        #expect(try ring.open(old, now: now).plaintext == [1])
        #expect(code { _ = try ring.open(old, now: now.addingTimeInterval(60)) } == "revokedKid")
        #expect(code { _ = try ring.open(old, now: now.addingTimeInterval(3600)) } == "revokedKid")
        #expect(code { _ = try ring.open(new, now: now) } == "revokedKid")
        try ring.setStatus(.active, forKid: [0x02])
        #expect(try ring.open(new, now: now).kid == [0x02])
        #expect(ring.status(ofKid: [0x02]) == .active)
        ring.remove(kid: [0x02])
        #expect(code { _ = try ring.open(new, now: now) } == "unknownKid")
        #expect(code { try ring.setStatus(.revoked, forKid: [0x09]) } == "unknownKid")
    }

    @Test("a kid of another device is refused; without a channel identity the kid's device is used")
    func deviceBinding() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        let message = try oldKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 1)
        #expect(code { _ = try ring.open(message, deviceID: "dev-2") } == "deviceMismatch")
        #expect(try ring.open(message).deviceID == "dev-1")
        // Sealed for another device id (external AAD differs): authentication fails.
        let forged = try oldKey.seal([1], contentFormat: 0, deviceID: "dev-2", sequenceNumber: 2)
        #expect(code { _ = try ring.open(forged) } == "authenticationFailed")
    }

    @Test("a kid registered for one algorithm refuses messages claiming another")
    func algorithmBinding() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        let gcmKey = try secret.deriveKey(kid: [0x01], algorithm: .a128GCM)
        let message = try gcmKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 1)
        #expect(code { _ = try ring.open(message) } == "unsupportedAlgorithm")
    }

    @Test("two-phase replay protection: open checks, record commits")
    func twoPhase() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        let message = try oldKey.seal([7], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 42)
        let first = try ring.open(message, deviceID: "dev-1")
        let second = try ring.open(message, deviceID: "dev-1")   // not recorded yet: still opens
        #expect(first.sequenceNumber == 42)
        let window = try ring.record(first)
        #expect(window.highest == 42)
        #expect(code { try ring.record(second) } == "replay")
        #expect(code { _ = try ring.open(message, deviceID: "dev-1") } == "replay")
        #expect(ring.replayWindow(ofKid: [0x01]) == window)
    }

    @Test("replays: same number twice, below the window, window edges")
    func replays() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        func seal(_ seq: UInt64) throws -> [UInt8] {
            try oldKey.seal([UInt8(truncatingIfNeeded: seq)], contentFormat: 0, deviceID: "dev-1", sequenceNumber: seq)
        }
        _ = try ring.openAndRecord(seal(100))
        #expect(code { _ = try ring.openAndRecord(seal(100)) } == "replay")
        #expect(code { _ = try ring.openAndRecord(seal(36)) } == "replay")     // 64 below
        #expect(try ring.openAndRecord(seal(37)).sequenceNumber == 37)          // 63 below
        #expect(code { _ = try ring.openAndRecord(seal(37)) } == "replay")
        #expect(try ring.openAndRecord(seal(99)).sequenceNumber == 99)
        #expect(try ring.openAndRecord(seal(1_000_000)).sequenceNumber == 1_000_000)
        #expect(code { _ = try ring.openAndRecord(seal(101)) } == "replay")
        // Replay windows are per kid.
        try ring.add(newKey, deviceID: "dev-1")
        let other = try newKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 100)
        #expect(try ring.openAndRecord(other).kid == [0x02])
    }

    @Test("a restored window keeps refusing numbers seen before a restart")
    func restore() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        let message = try oldKey.seal([1], contentFormat: 0, deviceID: "dev-1", sequenceNumber: 5)
        let window = try ring.record(ring.open(message))
        let restarted = KeyRing()
        try restarted.add(oldKey, deviceID: "dev-1", replayWindow: window)
        #expect(code { _ = try restarted.open(message) } == "replay")
        let fresh = KeyRing()
        try fresh.add(oldKey, deviceID: "dev-1")
        try fresh.setReplayWindow(window, forKid: [0x01])
        #expect(code { _ = try fresh.open(message) } == "replay")
    }

    @Test("opened payload descriptions never show the plaintext")
    func redaction() throws {
        let ring = KeyRing()
        try ring.add(oldKey, deviceID: "dev-1")
        let opened = try ring.open(oldKey.seal(Array("s3cr3t".utf8), contentFormat: 0, deviceID: "dev-1", sequenceNumber: 1))
        #expect(!opened.description.contains("s3cr3t"))
        #expect(!opened.description.contains(Hex.encode(Array("s3cr3t".utf8))))
        #expect(opened.description.contains("6 bytes"))
    }
}
