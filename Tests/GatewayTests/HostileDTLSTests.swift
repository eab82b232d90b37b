import CoAP
import Dispatch
import Foundation
import Gateway
import LibCrypto
import Sealing
import SenML
import Testing
import Platform
import TestSupport

/// The gateway's DTLS endpoint under attack on loopback: the attacker on 127.0.0.2, devices on
/// 127.0.0.1. Each test also prints how the devices fared during the attack.
@Suite(.serialized, .timeLimit(.minutes(2 * TestSupport.timeScale))) struct HostileDTLSTests {
    /// New devices' handshakes (each a new DTLS session and a GET /health) while `attack` runs:
    /// successes and the median latency.
    private func newSessions(_ f: GatewayFixture, count: Int) async -> (succeeded: Int, medianMs: Double) {
        var latencies: [Double] = []
        for i in 0..<count {
            guard let client = try? f.client(i % 2 == 0 ? "node-1" : "node-2") else { continue }
            let start = ContinuousClock.now
            if (try? await client.get("\(f.secure)/health"))?.code == .content {
                let elapsed = ContinuousClock.now - start
                latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            client.shutdown()
        }
        let sorted = latencies.sorted()
        return (latencies.count, sorted.isEmpty ? 0 : sorted[sorted.count / 2])
    }

    /// Runs `body` repeatedly on a thread of its own until the returned closure is called.
    private func keepAttacking(_ body: @escaping @Sendable () throws -> Void) -> @Sendable () -> Int {
        let state = Locked((stop: false, rounds: 0))
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while !state.withLock({ $0.stop }) {
                try? body()
                state.withLock { $0.rounds += 1 }
            }
            done.signal()
        }
        return {
            state.withLock { $0.stop = true }
            done.wait()
            return state.withLock { $0.rounds }
        }
    }

    @Test func aFloodOfClientHellosWithoutCookiesDoesNotKeepNewDevicesOut() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let port = f.gateway.dtlsPort!
        let attacker = HostilePeer()
        // Far more first ClientHellos, each from a port of its own, than libcoap would keep
        // sessions for (100), and then a steady stream while devices connect.
        let challenged = try await TestSupport.offThePool { try attacker.floodClientHellos(300, toPort: port, wait: 1) }
        #expect(challenged >= 290, "each first ClientHello is answered with a cookie (\(challenged) of 300)")
        // About 2,000 a second: 400 times what kept libcoap's port closed, without taking the
        // CPUs from the other tests running meanwhile.
        let stop = keepAttacking {
            _ = try attacker.floodClientHellos(50, toPort: port)
            usleep(25_000)
        }
        let result = await newSessions(f, count: 20)
        let flooded = try await TestSupport.offThePool { stop() } * 50 + 300
        print("cookieless flood: \(flooded) ClientHellos; new devices \(result.succeeded)/20 connected, median \(result.medianMs) ms")
        #expect(result.succeeded == 20, "every new device got in during the flood")
        let stats = try #require(f.gateway.dtlsStatistics)
        // Some of the flood is dropped by the kernel (the socket's buffer is full): not all is counted.
        #expect(stats.cookiesSent >= challenged, "\(stats)")
        #expect(stats.handshakesAdmitted <= 20 + 2, "only the devices' handshakes made it past the cookie (\(stats.handshakesAdmitted))")
    }

    @Test func halfOpenHandshakesAreCappedPerAddressAgedOutAndReported() async throws {
        let log = CapturedLog()
        let f = try GatewayFixture(logger: log.logger(level: .notice)) {
            $0.handshakeTimeout = .seconds(3)
            $0.dtlsLimits.maxHandshakesPerAddress = 16
        }
        defer { f.stop() }
        let port = f.gateway.dtlsPort!
        let attacker = HostilePeer()
        // More half-open handshakes than libcoap's 100: the cookie exchange done, then silence.
        let (started, sockets) = try await TestSupport.offThePool { try attacker.openHalfOpenHandshakes(120, toPort: port) }
        #expect(started == 16, "the attacker's address holds at most 16 handshakes at once (it got \(started))")
        let result = await newSessions(f, count: 10)
        print("half-open flood: \(started) of 120 handshakes held; new devices \(result.succeeded)/10 connected, median \(result.medianMs) ms")
        #expect(result.succeeded == 10, "devices at other addresses are served meanwhile")

        // Aged out after the handshake timeout, and reported.
        var stats = try #require(f.gateway.dtlsStatistics)
        for _ in 0..<100 where stats.handshakesInProgress > 0 || stats.abandoned < started {
            try await Task.sleep(for: .milliseconds(50))
            stats = try #require(f.gateway.dtlsStatistics)
        }
        #expect(stats.handshakesInProgress == 0 && stats.abandoned >= started, "\(stats)")
        #expect(stats.handshakesRefusedAtCapacity >= 120 - 16, "\(stats)")
        #expect((f.gateway.monitor.totals[.handshakeAbandoned] ?? 0) >= started)
        let admin = try f.client("admin")
        defer { admin.shutdown() }
        let report = try await admin.get("\(f.secure)/security").text
        #expect(report.contains("\"handshake-abandoned\":\(started)") && report.contains("\"abandoned\":"), "\(report)")
        // Logged, but not one line each.
        let lines = log.count { $0.message.contains("DTLS handshake refused") || $0.message == "security event" }
        #expect(lines > 0 && lines <= 8, "\(lines) lines for \(started) abandoned handshakes: \(log.all.map(\.message))")
        _ = sockets
        // Once the attacker is gone, its address holds nothing and gets handshakes again.
        let again = try await TestSupport.offThePool { try attacker.openHalfOpenHandshakes(1, toPort: port) }
        #expect(again.started == 1)
    }

    @Test func anAddressWhoseHandshakesFailIsThrottledNotLockedOut() async throws {
        let f = try GatewayFixture { $0.lockout = .init(threshold: 3, window: .seconds(60), lockout: .seconds(60)) }
        defer { f.stop() }
        // A device with a session from 127.0.0.1, then a peer at the same address (a NAT) that
        // keeps failing with a wrong key.
        let established = try f.client("node-2")
        defer { established.shutdown() }
        #expect(try await established.get("\(f.secure)/health").code == .content)
        for _ in 0..<4 {
            let wrongKey = try f.client("node-1", key: "not-the-key")
            await #expect(throws: CoAPError.self) { try await wrongKey.get("\(f.secure)/health") }
            wrongKey.shutdown()
        }
        var stats = try #require(f.gateway.dtlsStatistics)
        for _ in 0..<100 where stats.throttledAddresses == 0 {
            try await Task.sleep(for: .milliseconds(20))
            stats = try #require(f.gateway.dtlsStatistics)
        }
        #expect(stats.throttledAddresses == 1, "\(stats)")
        // The established session is served: the failures were not its own.
        let sealed = try f.sealer("node-2").seal(GatewayFixture.reading("node-2"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        let posted = try await f.post(established, base: f.secure, payload: sealed, format: .coseEncrypt0)
        #expect(posted.code == .created, "\(posted.code) \(posted.text)")
        // Another device behind the same address still gets a new session, throttled, not refused.
        try await Task.sleep(for: .milliseconds(1100))
        let innocent = try f.client("admin")
        defer { innocent.shutdown() }
        #expect(try await innocent.get("\(f.secure)/health").code == .content)
        #expect(!f.gateway.monitor.isLockedOut(deviceID: "node-1"))
    }

    @Test func guessingADevicesKeyDoesNotLockTheDeviceOut() async throws {
        let f = try GatewayFixture { $0.lockout = .init(threshold: 3, window: .seconds(60), lockout: .seconds(60)) }
        defer { f.stop() }
        for _ in 0..<5 {
            let guesser = try f.client("node-1", key: "guess")
            await #expect(throws: CoAPError.self) { try await guesser.get("\(f.secure)/health") }
            guesser.shutdown()
        }
        #expect(!f.gateway.monitor.isLockedOut(deviceID: "node-1"))
        try await Task.sleep(for: .milliseconds(1100))  // the address is throttled to one handshake a second
        let node = try f.client("node-1")
        defer { node.shutdown() }
        let sealed = try f.sealer("node-1").seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        let posted = try await f.post(node, base: f.secure, payload: sealed, format: .coseEncrypt0)
        #expect(posted.code == .created, "the device itself is served: \(posted.code) \(posted.text)")
        let admin = try f.client("admin")
        defer { admin.shutdown() }
        try await Task.sleep(for: .milliseconds(1100))
        let report = try await admin.get("\(f.secure)/security").text
        #expect(report.contains("\"claimed\":{\"node-1\""), "the guesses are reported as claims on node-1: \(report)")
    }
}
