import CoAP
import Foundation
@testable import Node
import Sealing
import SenML
import Testing
import TestSupport

@Suite("Offline queue: outages and restarts", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct OfflineDeliveryTests {
    @Test("gateway down, then up: nothing lost, nothing duplicated, order kept, several readings per message")
    func downThenUp() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()  // bound once, then closed: nobody listens
        let reporter = try fixture.reporter(fixture.configuration())
        // Taken a minute ago, ten seconds apart (the sensor's clock), so that they are not fresh.
        let start = (Date().timeIntervalSince1970 - 60).rounded()
        for i in 0..<6 {
            let report = try await reporter.report(threeValues(i), takenAt: Date(timeIntervalSince1970: start + Double(10 * i)))
            #expect(report.delivered == 0)
        }
        let down = await reporter.status
        #expect(down.queued == 6)
        #expect(down.lastDeliveryError != nil)
        #expect(fixture.gateway.readings.isEmpty)

        try fixture.gateway.start()
        let flushed = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()

        #expect(flushed.delivered == 6)
        #expect(flushed.queued == 0)
        #expect(temperatures(fixture.gateway) == (0..<6).map { 20 + Double($0) / 4 })
        #expect(fixture.gateway.readings.count < 6, "queued readings travel several to a message")
        // Readings that waited carry their time: a base time on the message's first record, offsets after.
        let first = try #require(fixture.gateway.readings.first?.records.first)
        #expect(first.baseTime == start)
        let times = try SenMLPack(fixture.gateway.records).resolved().filter { $0.name == "temp" }.map(\.time)
        #expect(times == (0..<6).map { start + Double(10 * $0) })
    }

    @Test("a gateway answering 5.03 keeps readings queued until it accepts them")
    func serviceUnavailable() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        fixture.gateway.setMode(.answer(.serviceUnavailable))
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        for i in 0..<3 { try await reporter.report(threeValues(i)) }
        #expect(await reporter.status.queued == 3)
        #expect(fixture.gateway.refusedCount >= 1)
        #expect(await reporter.status.lastDeliveryError?.contains("5.03") == true)

        fixture.gateway.setMode(.accept)
        let flushed = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(flushed.queued == 0)
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
    }

    @Test("node stopped with a non-empty queue and restarted: the new run delivers it first, in order, once")
    func restartWithQueue() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        do {
            let first = try fixture.reporter(fixture.configuration())
            for i in 0..<4 { try await first.report(threeValues(i)) }
            #expect(await first.status.queued == 4)
            await first.shutdown()
        }
        try fixture.gateway.start()
        let second = try fixture.reporter(fixture.configuration())
        #expect(await second.status.queued == 4)
        try await second.report(threeValues(4))
        _ = await second.flush(timeout: .seconds(30))
        #expect(await second.status.queued == 0)
        await second.shutdown()
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5, 20.75, 21])

        // A third run finds nothing left over: no duplicates later either.
        let third = try fixture.reporter(fixture.configuration())
        #expect(await third.status.queued == 0)
        await third.shutdown()
    }

    @Test("a gateway that restarts while the node keeps its DTLS session: the node reconnects and delivers")
    func gatewayRestart() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        var configuration = try fixture.configuration()
        configuration.requestTimeout = .seconds(2)
        let reporter = try fixture.reporter(configuration)
        try await reporter.report(threeValues(0))
        _ = await reporter.flush(timeout: .seconds(30))
        #expect(fixture.gateway.readings.count == 1)

        fixture.gateway.stop()
        try await reporter.report(threeValues(1))
        try fixture.gateway.start()
        try await reporter.report(threeValues(2))
        _ = await reporter.flush(timeout: .seconds(30))
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])

        // Restarted between two readings: the node's DTLS session is unknown to the new gateway;
        // the send times out, the node handshakes afresh and delivers.
        fixture.gateway.stop()
        try fixture.gateway.start()
        try await reporter.report(threeValues(3))
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5, 20.75])
    }

    @Test("a gateway that crashes (no DTLS close_notify) and comes back: one timeout, then a new handshake")
    func gatewayCrash() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        let replacement = try TestGateway(pskIdentity: fixture.deviceID, pskKey: fixture.gateway.pskKey)
        try replacement.register(secret: fixture.secret, deviceID: fixture.deviceID, kid: [0x01])
        try replacement.start()
        defer { replacement.stop() }
        let relay = try UDPRelay(targetPort: try #require(URL(string: fixture.gateway.secureURI)?.port).asPort)
        defer { relay.stop() }
        var configuration = try fixture.configuration()
        configuration.gateway = try CoAPURI("coaps://127.0.0.1:\(relay.port)")
        configuration.requestTimeout = .seconds(2)
        let reporter = try fixture.reporter(configuration)
        try await reporter.report(threeValues(0))
        #expect(await reporter.flush(timeout: .seconds(30)).queued == 0)

        relay.retarget(to: try #require(URL(string: replacement.secureURI)?.port).asPort)
        let first = try await reporter.report(threeValues(1))
        #expect(first.delivered == 0)  // the old session is unknown there: the request times out
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == [20])
        #expect(temperatures(replacement) == [20.25])
    }

    @Test("run() delivers in the background once the gateway comes back")
    func backgroundRun() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        let runner = Task { await reporter.run() }
        for i in 0..<3 { try await reporter.report(threeValues(i)) }
        try fixture.gateway.start()
        let drained = await TestSupport.eventually(timeout: 20) { await reporter.status.queued == 0 }
        runner.cancel()
        await runner.value
        await reporter.shutdown()
        #expect(drained)
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
    }

    @Test("a message the gateway finds too large (4.13) is split; every reading still arrives, in order")
    func splitTooLarge() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        for i in 0..<5 { try await reporter.report(threeValues(i)) }
        try fixture.gateway.start()
        fixture.gateway.setMode(.refuseMoreRecordsThan(6))
        _ = await reporter.flush(timeout: .seconds(30))
        let status = await reporter.status
        await reporter.shutdown()

        #expect(status.queued == 0)
        #expect(status.counters.rejected == 0)
        #expect(fixture.gateway.refusedCount >= 1)
        #expect(fixture.gateway.readings.allSatisfy { $0.records.count <= 6 })
        #expect(temperatures(fixture.gateway) == (0..<5).map { 20 + Double($0) / 4 })
    }

    @Test("a reading the gateway refuses on its own (4.00) is removed and counted; it does not block the rest")
    func rejectPoison() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        try await reporter.report(threeValues(0))
        try await reporter.report(threeValues(1))
        try await reporter.report([SenMLRecord(name: "poison", value: 1)])
        try await reporter.report(threeValues(2))
        try fixture.gateway.start()
        fixture.gateway.setMode(.refuseName("poison"))
        _ = await reporter.flush(timeout: .seconds(30))
        let status = await reporter.status
        await reporter.shutdown()

        #expect(status.queued == 0)
        #expect(status.counters.rejected == 1)
        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
        #expect(fixture.gateway.records.allSatisfy { $0.name != "poison" })
    }
}

@Suite("Offline queue: safeguards", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct DeliverySafeguardTests {
    @Test("a gateway refusing every reading (4.00) does not make the node discard its queue")
    func gatewayRefusingEverything() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration(secure: false))
        for i in 0..<8 { try await reporter.report(threeValues(i)) }
        try fixture.gateway.start()
        fixture.gateway.setMode(.answer(.badRequest))
        _ = await reporter.flush(timeout: .seconds(2))
        let status = await reporter.status
        #expect(status.counters.rejected == NodeReporter.maxConsecutiveRejections)
        #expect(status.queued == 8 - NodeReporter.maxConsecutiveRejections)
        #expect(status.lastDeliveryError?.contains("refuses every reading") == true)

        fixture.gateway.setMode(.accept)
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()
        #expect(temperatures(fixture.gateway) == (3..<8).map { 20 + Double($0) / 4 })
    }

    @Test("during a long backoff in run(), flush(timeout:) returns at its deadline and shutdown ends run()")
    func shutdownDuringBackoff() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var configuration = try fixture.configuration(secure: false)
        configuration.retry = RetryPolicy(initialDelay: .seconds(600), maxDelay: .seconds(600))
        let reporter = try fixture.reporter(configuration)
        try await reporter.report(threeValues(0))
        let done = TestLocked(false)
        let runner = Task {
            await reporter.run()
            done.update { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(100))
        let flushed = await reporter.flush(timeout: .milliseconds(300))
        #expect(flushed.queued == 1)
        #expect(flushed.error != nil)
        await reporter.shutdown()
        #expect(await TestSupport.eventually(timeout: 60) { done.get() })  // the backoff is at least 300 s
        runner.cancel()
        #expect(await reporter.status.queued == 1)
        let next = try fixture.reporter(configuration)
        #expect(await next.status.queued == 1)
        await next.shutdown()
    }
}

extension Int {
    var asPort: UInt16 { UInt16(clamping: self) }
}
