import CoAP
import Foundation
@testable import Node
import Sealing
import SenML
import Testing
import TestSupport

@Suite("NodeReporter delivery", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct NodeReporterTests {
    @Test("a reading reaches the gateway sealed, over DTLS-PSK, as SenML CBOR")
    func deliversSealedOverDTLS() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        let reporter = try fixture.reporter(fixture.configuration())
        try await reporter.report(threeValues(0))
        let flushed = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()

        #expect(flushed.queued == 0)
        let received = try #require(fixture.gateway.readings.first)
        #expect(fixture.gateway.readings.count == 1)
        #expect(received.device == "node-7")
        #expect(received.contentFormat == .coseEncrypt0)
        #expect(received.innerContentFormat == ContentFormat.senmlCBOR.rawValue)
        #expect(received.kid == [0x01])
        #expect(received.type == .confirmable)
        #expect(received.records.map(\.name) == ["temp", "hum", "pres"])
        #expect(received.records.map(\.unit) == ["Cel", "%RH", "hPa"])
        #expect(received.records.map(\.value) == [20, 45, 1013])
        // A fresh reading travels without a time and without a base name.
        #expect(received.records.allSatisfy { $0.time == nil && $0.baseTime == nil && $0.baseName == nil })
    }

    @Test("NON messages, SenML JSON and the base-name convention")
    func nonJSONBaseName() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        var configuration = try fixture.configuration(secure: false)
        configuration.messageType = .nonConfirmable
        configuration.format = .senmlJSON
        configuration.includeBaseName = true
        let reporter = try fixture.reporter(configuration)
        // The caller's own base name is accepted when it is the device's.
        try await reporter.report([SenMLRecord(baseName: "node-7/", name: "door", stringValue: "open")])
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()

        let received = try #require(fixture.gateway.readings.first)
        #expect(received.type == .nonConfirmable)
        #expect(received.innerContentFormat == ContentFormat.senmlJSON.rawValue)
        #expect(received.records.first?.baseName == "node-7/")
        #expect(received.records.first?.name == "door")
        #expect(received.records.first?.stringValue == "open")
    }

    @Test("unsealed SenML when sealing is off")
    func unsealed() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        var configuration = try fixture.configuration()
        configuration.sealing = nil
        configuration.storageSecret = fixture.secret
        let reporter = try fixture.reporter(configuration)
        try await reporter.report(threeValues(1))
        _ = await reporter.flush(timeout: .seconds(30))
        await reporter.shutdown()

        let received = try #require(fixture.gateway.readings.first)
        #expect(received.contentFormat == .senmlCBOR)
        #expect(received.kid == nil)
        #expect(received.device == "node-7")  // the DTLS identity
        #expect(received.records.count == 3)
    }

    @Test("a reading naming another device, or without a value, is refused before it is queued")
    func invalidReadings() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let reporter = try fixture.reporter(fixture.configuration())
        await #expect(throws: NodeError.self) {
            try await reporter.report([SenMLRecord(baseName: "node-8/", name: "temp", value: 1)])
        }
        await #expect(throws: NodeError.self) { try await reporter.report([SenMLRecord(name: "temp")]) }
        await #expect(throws: NodeError.self) { try await reporter.report([SenMLRecord(name: "bad name", value: 1)]) }
        #expect(await reporter.status.queued == 0)
        await reporter.shutdown()
    }

    @Test("a configuration that cannot work is refused with a clear error")
    func invalidConfigurations() throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var noSecret = try fixture.configuration()
        noSecret.sealing = nil
        #expect(throws: NodeError.self) { try fixture.reporter(noSecret) }  // a disk queue without a secret
        var noState = try fixture.configuration(queue: false)
        noState.stateDirectory = nil
        #expect(throws: NodeError.self) { try fixture.reporter(noState) }  // sealing without durable sequence numbers
        var noDTLS = try fixture.configuration()
        noDTLS.dtls = nil
        #expect(throws: NodeError.self) { try fixture.reporter(noDTLS) }
    }

    @Test("one reporter per data directory: a second one is refused until the first shuts down")
    func oneReporterPerDirectory() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let first = try fixture.reporter(fixture.configuration())
        do {
            _ = try fixture.reporter(fixture.configuration())
            Issue.record("a second reporter on the same directory was allowed")
        } catch let error as NodeError {
            #expect(error.code == .directoryInUse)
        }
        await first.shutdown()
        await #expect(throws: NodeError.self) { try await first.report(threeValues(0)) }
        let second = try fixture.reporter(fixture.configuration())
        await second.shutdown()
    }
}
