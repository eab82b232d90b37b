import CoAP
import Foundation
@testable import Node
import Sealing
import SenML
import Testing
import TestSupport

/// Bytes per reading on the wire, measured: the node talks to the test gateway through a UDP
/// relay that records every datagram, DTLS records included.
@Suite("Wire economy", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct WireSizeTests {
    struct Measurement {
        var accounting: WireAccounting
        /// The UDP payload of the datagram that carried the POST.
        var datagram: Int
        /// The token length libcoap used, as the gateway saw it.
        var tokenLength: Int
    }

    /// Sends `readings` (queued while the gateway was down when there are several) and measures the
    /// datagram of the POST that carried them.
    func measure(_ readings: [[SenMLRecord]], secure: Bool) async throws -> Measurement {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        let target = secure ? try #require(URL(string: fixture.gateway.secureURI)?.port) : try #require(URL(string: fixture.gateway.plainURI)?.port)
        let relay = try UDPRelay(targetPort: UInt16(target))
        defer { relay.stop() }
        var configuration = try fixture.configuration(secure: secure)
        configuration.gateway = try CoAPURI("\(secure ? "coaps" : "coap")://127.0.0.1:\(relay.port)")
        let reporter = try fixture.reporter(configuration)
        if readings.count > 1 { fixture.gateway.setMode(.answer(.serviceUnavailable)) }
        var messages: [WireAccounting] = []
        // Several readings waited in the queue: taken a minute apart on whole seconds, the last a
        // minute ago, so the pack carries their times, and the same bytes however long this
        // machine takes to send them.
        let firstTaken = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60 * Double(readings.count)).rounded(.down))
        for (i, reading) in readings.enumerated() {
            let takenAt = readings.count > 1 ? firstTaken.addingTimeInterval(60 * Double(i)) : Date()
            messages += try await reporter.report(reading, takenAt: takenAt).messages
        }
        fixture.gateway.setMode(.accept)
        messages += await reporter.flush(timeout: .seconds(30)).messages
        await reporter.shutdown()
        let accounting = try #require(messages.last)
        #expect(accounting.readings == readings.count)
        let received = try #require(fixture.gateway.readings.last)
        // The POST that was acknowledged is the last datagram the client sent that carried it:
        // application data (DTLS content type 23), or a CoAP POST (code 0.02).
        let sent = relay.datagrams.filter { datagram in
            guard datagram.fromClient, let first = datagram.bytes.first else { return false }
            return secure ? first == 23 : datagram.bytes.count > 1 && datagram.bytes[1] == 0x02
        }
        let datagram = try #require(sent.last)
        if !secure { #expect(Int(datagram.bytes[0] & 0x0F) == received.tokenLength) }
        return Measurement(accounting: accounting, datagram: datagram.bytes.count, tokenLength: received.tokenLength)
    }

    @Test("a sealed three-value SenML CBOR reading over DTLS: the accounting matches the measured datagram")
    func sealedReadingOverDTLS() async throws {
        let named = try await measure([threeValues(6)], secure: true)  // temp 21.5 Cel, hum 45 %RH, pres 1013 hPa
        let compact = try await measure(
            [[SenMLRecord(name: "t", value: 21.5), SenMLRecord(name: "h", value: 45), SenMLRecord(name: "p", value: 1013)]],
            secure: true)
        let batch = try await measure((0..<8).map(threeValues), secure: true)
        let plain = try await measure([threeValues(6)], secure: false)

        for m in [named, compact, batch, plain] {
            #expect(m.datagram == m.accounting.udpPayload, "measured \(m.datagram) B, accounted \(m.accounting)")
        }
        // The DTLS record adds exactly the 29 bytes the accounting estimates (13 header + 16 of
        // nonce and tag, whichever suite OpenSSL negotiated).
        #expect(named.datagram - (named.accounting.udpPayload - named.accounting.dtls) == WireAccounting.dtlsRecordOverhead)
        #expect(plain.accounting.dtls == 0)
        #expect(named.accounting.senml == 47)
        #expect(named.accounting.cose == 26)
        // Eight readings a minute apart, each record with its time offset: the seal, CoAP and DTLS
        // are paid once, so a reading costs little more than half of one sent alone.
        #expect(batch.accounting.senml == 444)
        #expect(batch.accounting.bytesPerReading < named.accounting.bytesPerReading * 0.55)

        print("""
            bytes per reading on the wire (UDP payload, measured through a relay; token \(named.tokenLength) B):
              temp/hum/pres with units, sealed, DTLS:  \(named.datagram) B  — \(named.accounting)
              t/h/p without units, sealed, DTLS:        \(compact.datagram) B  — \(compact.accounting)
              8 readings a minute apart, one message, DTLS: \(batch.datagram) B  — \(batch.accounting)
              temp/hum/pres, sealed, plain CoAP:        \(plain.datagram) B  — \(plain.accounting)
              temp/hum/pres, unsealed SenML, plain CoAP: \(named.accounting.senml + named.accounting.coap) B  — SenML \(named.accounting.senml) + CoAP \(named.accounting.coap) (the sealed reading without its seal)
            """)
    }
}
