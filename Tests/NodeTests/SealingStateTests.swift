import CoAP
import Foundation
@testable import Node
import Sealing
import SenML
import Testing
import TestSupport

@Suite("Sealing state: sequence numbers and rotation", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct SealingStateTests {
    @Test("sequence numbers are never reused across restarts (the gateway's replay window accepts every message)")
    func sequenceAcrossRestarts() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        for run in 0..<3 {
            let reporter = try fixture.reporter(fixture.configuration(secure: false))
            for i in 0..<3 { try await reporter.report(threeValues(run * 3 + i)) }
            #expect(await reporter.flush(timeout: .seconds(30)).queued == 0)
            await reporter.shutdown()
        }
        #expect(temperatures(fixture.gateway) == (0..<9).map { 20 + Double($0) / 4 })
        let numbers = fixture.gateway.readings.compactMap(\.sequenceNumber)
        #expect(numbers.count == fixture.gateway.readings.count)
        #expect(Set(numbers).count == numbers.count)
        #expect(numbers == numbers.sorted())
        // The property itself: no (kid, sequence number) ever sealed two different messages. (The
        // same message twice is a CoAP retransmission the server ran again: its replay window
        // refuses the copy, harmlessly.)
        let arrivals = fixture.gateway.sealedArrivals
        for arrival in arrivals {
            let sameNumber = arrivals.filter { $0.kid == arrival.kid && $0.sequenceNumber == arrival.sequenceNumber }
            #expect(sameNumber.allSatisfy { $0.payload == arrival.payload }, "sequence number \(arrival.sequenceNumber) reused")
        }
        #expect(arrivals.allSatisfy { $0.refusal == nil || $0.refusal == .replay }, "\(arrivals.compactMap(\.refusal))")
    }

    @Test("rotation: the node switches to the new kid, for new and queued readings alike, and keeps working")
    func rotation() async throws {
        let fixture = try NodeFixture(kids: [[0x01], [0x02]])
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        let reporter = try fixture.reporter(fixture.configuration(secure: false, kid: [0x01]))
        try await reporter.report(threeValues(0))
        _ = await reporter.flush(timeout: .seconds(30))
        fixture.gateway.stop()
        try await reporter.report(threeValues(1))  // queued; sealed when it is sent, with the kid of that moment
        try await reporter.rotate(to: [0x02])
        #expect(await reporter.status.kid == [0x02])
        try fixture.gateway.start()
        try await reporter.report(threeValues(2))
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()

        #expect(temperatures(fixture.gateway) == [20, 20.25, 20.5])
        #expect(fixture.gateway.readings.first?.kid == [0x01])
        #expect(fixture.gateway.readings.dropFirst().allSatisfy { $0.kid == [0x02] })

        // A restart with the new kid on the command line (a --kid change) goes on with it.
        let restarted = try fixture.reporter(fixture.configuration(secure: false, kid: [0x02]))
        try await restarted.report(threeValues(3))
        _ = await restarted.flush(timeout: .seconds(30))
        await restarted.shutdown()
        #expect(fixture.gateway.readings.last?.kid == [0x02])
        #expect(temperatures(fixture.gateway).last == 20.75)
        #expect(FileManager.default.fileExists(atPath: fixture.dataDirectory + "/seq-02"))
    }
}
