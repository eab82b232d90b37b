import CoAP
import Foundation
import Gateway
import LibCrypto
import Sealing
import SenML
import Testing
import TestSupport

/// Plain-CoAP attacks on the gateway on loopback: the attacker on 127.0.0.2, devices on 127.0.0.1.
@Suite(.serialized, .timeLimit(.minutes(2 * TestSupport.timeScale))) struct HostileCoAPTests {
    @Test func forgedSealsInADevicesNameDoNotLockTheDeviceOut() async throws {
        let log = CapturedLog()
        let f = try GatewayFixture(logger: log.logger(level: .notice)) {
            $0.lockout = .init(threshold: 5, window: .seconds(60), lockout: .seconds(300))
        }
        defer { f.stop() }
        let sealer = try f.sealer("node-1")
        let cbor = ContentFormat.senmlCBOR.rawValue
        let captured = try sealer.seal(GatewayFixture.reading("node-1"), contentFormat: cbor)
        let device = try CoAPClient()
        defer { device.shutdown() }
        #expect(try await f.post(device, base: f.plain, payload: captured, format: .coseEncrypt0).code == .created)

        // The attacker, knowing node-1's kid and one captured message: messages under node-1's kid
        // sealed with a key of its own (fresh sequence numbers, a tag that cannot verify) and
        // plain replays of the captured one, far over the threshold.
        let forger = try Sealer(key: try DeviceSecret.generate().deriveKey(kid: [1]), deviceID: "node-1",
                                sequenceNumbers: InMemorySequenceNumberSource(startingAt: 1000))
        let attacker = try HostilePeer().socket()
        let port = f.gateway.port!
        var forged = 0, answers = 0
        var codes: [UInt8: Int] = [:]
        let started = ContinuousClock.now
        func collect(for seconds: Double) async throws {
            let received = try await TestSupport.offThePool {
                var all: [[UInt8]] = []
                while let answer = attacker.receive(within: seconds) { all.append(answer) }
                return all
            }
            for answer in received where answer.count >= 2 {
                codes[answer[1], default: 0] += 1
                if answer[1] == 0x81 { answers += 1 }  // 4.01 Unauthorized
            }
        }
        for i in 0..<150 {
            let fake = try forger.seal(GatewayFixture.reading("node-1"), contentFormat: cbor)
            attacker.send(HostilePeer.coapPost(payload: fake, messageID: UInt16(i)), toPort: port)
            attacker.send(HostilePeer.coapPost(payload: captured, messageID: UInt16(1000 + i)), toPort: port)
            forged += 2
            if i % 10 == 0 {
                // The device goes on reporting throughout, from its own address.
                let next = try sealer.seal(GatewayFixture.reading("node-1", temperature: Double(i)), contentFormat: cbor)
                let answer = try await f.post(device, base: f.plain, payload: next, format: .coseEncrypt0)
                #expect(answer.code == .created, "a valid reading during the flood: \(answer.code) \(answer.text)")
                try await collect(for: 0.02)
            }
        }
        try await collect(for: 0.5)
        print("forged-seal flood: \(forged) forged or replayed messages, \(answers) answered 4.01; the device's 16 readings stored")
        #expect(answers >= forged - 10, "answers by code: \(codes), totals \(f.gateway.monitor.totals)")
        #expect(!f.gateway.monitor.isLockedOut(deviceID: "node-1"))
        #expect(try f.gateway.store.readings(device: "node-1", limit: 100).readings.count == 16)
        #expect((f.gateway.monitor.totals[.tamperedSeal] ?? 0) >= 140 && (f.gateway.monitor.totals[.replay] ?? 0) >= 140,
                "\(f.gateway.monitor.totals)")
        // The log holds a few lines per kind and source, not one per forged message.
        // Two kinds from one source: three lines each per 10-second interval, whatever the count.
        let intervals = Int((ContinuousClock.now - started).components.seconds / 10) + 2
        let lines = log.count { $0.message == "security event" }
        #expect(lines <= 2 * 3 * intervals, "\(lines) security lines for \(forged) events")
    }
}
