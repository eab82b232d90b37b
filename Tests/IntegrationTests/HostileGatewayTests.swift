import CoAP
import Foundation
import Sealing
import SenML
import Testing
import TestSupport

/// `coap-gateway` (the process an operator runs) under one attack after another, from 127.0.0.2,
/// while `node-1` reports over DTLS from 127.0.0.1: after each attack the device's readings are
/// still acknowledged and stored, nothing bogus is stored, the gateway's memory has not run away,
/// and its log holds a few lines, not one per datagram. Prints the table of figures the README
/// shows ("Hostile input").
@Suite(.serialized, .timeLimit(.minutes(4 * TestSupport.timeScale))) struct HostileGatewayTests {
    /// One row of the table.
    struct Row {
        var attack: String
        var sent: Int
        var outcome: String
        var rssBefore: Int
        var rssAfter: Int
        var logLines: Int
    }

    static func rssKB(_ pid: pid_t) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// Sends every datagram from `socket`, pausing briefly now and then (a loopback socket buffer
    /// overflows otherwise, and what is dropped there tests nothing), and counts the answers.
    static func flood(_ socket: UDPSocket, _ datagrams: [[UInt8]], port: UInt16) async throws -> [UInt8: Int] {
        try await TestSupport.offThePool {
            var codes: [UInt8: Int] = [:]
            for (i, datagram) in datagrams.enumerated() {
                socket.send(datagram, toPort: port)
                if i % 100 == 99 {
                    usleep(3_000)
                    while let answer = socket.receive(within: 0) { if answer.count >= 2 { codes[answer[1], default: 0] += 1 } }
                }
            }
            for answer in socket.receiveAll(for: 0.5) where answer.count >= 2 { codes[answer[1], default: 0] += 1 }
            return codes
        }
    }

    static func describe(_ codes: [UInt8: Int]) -> String {
        if codes.isEmpty { return "no answer" }
        return codes.sorted { $0.key < $1.key }
            .map { $0.key == 0 ? "\($0.value)× RST" : "\($0.value)× \($0.key >> 5).\(String(format: "%02d", $0.key & 0x1F))" }
            .joined(separator: ", ")
    }

    /// CBOR that a careless decoder would recurse into, allocate for, or loop over.
    static func cborBombs() -> [[UInt8]] {
        var bombs: [[UInt8]] = []
        bombs.append([UInt8](repeating: 0x81, count: 10_000) + [0x00])                          // 10,000-deep arrays
        bombs.append([0x5F] + [UInt8](repeating: 0x41, count: 1) + [0x00] + [0x5F, 0x41, 0x00])  // indefinite strings, nested
        bombs.append([0x5B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0])                     // a byte string near 2^63
        bombs.append([0x9B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0])                     // an array near 2^63
        bombs.append([0xB9, 0x13, 0x88] + (0..<5_000).flatMap { [0x19, UInt8($0 >> 8), UInt8($0 & 0xFF), 0x00] })  // 5,000-entry map
        bombs.append((0..<3_000).flatMap { _ in [UInt8(0xD8), 0x20] } + [0x00])                  // 3,000 nested tags
        bombs.append([0xD0, 0x84, 0x40, 0xA1, 0x04, 0x9F] + [UInt8](repeating: 0x9F, count: 600))  // COSE with an endless array
        return bombs
    }

    @Test func theGatewayOutlivesEachAttackAndKeepsServingTheDevice() async throws {
        let setup = try await GatewayProcessTests.Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let config = setup.dir + "/gateway.json"
        // The defaults but for the block-wise transfers per address (8), which row 6 exceeds.
        try #"{"maxBlockTransfersPerAddress": 8}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (gateway, plain, dtls) = try await setup.startGateway(["--config", config])
        defer { gateway.stop() }
        let pid = gateway.child.pid
        let sealer = try Sealer(key: try setup.key(1), deviceID: "node-1", sequenceNumbers: InMemorySequenceNumberSource(startingAt: 1))
        let device = try setup.client(1)
        defer { device.shutdown() }
        var deviceReadings = 0
        /// node-1 reports `count` readings; each must be acknowledged.
        func deviceReports(_ count: Int) async throws {
            for _ in 0..<count {
                deviceReadings += 1
                let sealed = try sealer.seal(GatewayProcessTests.reading(deviceReadings), contentFormat: ContentFormat.senmlCBOR.rawValue)
                let answer = try await device.post("coaps://127.0.0.1:\(dtls)/readings", payload: sealed, contentFormat: .coseEncrypt0)
                #expect(answer.code == .created, "node-1's reading \(deviceReadings): \(answer.code) \(answer.text)")
            }
        }
        try await deviceReports(5)
        let attacker = try UDPSocket(bindingTo: "127.0.0.2")
        var rows: [Row] = []
        func attack(_ name: String, port: UInt16, _ datagrams: [[UInt8]]) async throws {
            let before = Self.rssKB(pid), linesBefore = gateway.log.split(separator: "\n").count
            let codes = try await Self.flood(attacker, datagrams, port: port)
            try await deviceReports(5)
            let health = try await device.get("coaps://127.0.0.1:\(dtls)/health")
            #expect(health.code == .content, "after \(name): /health \(health.code)")
            // On the DTLS port an answer is a HelloVerifyRequest (no state kept); on the CoAP port, a code.
            let outcome = port == dtls ? "\(codes.values.reduce(0, +)) HelloVerifyRequests" : Self.describe(codes)
            rows.append(Row(attack: name, sent: datagrams.count, outcome: outcome, rssBefore: before,
                            rssAfter: Self.rssKB(pid), logLines: gateway.log.split(separator: "\n").count - linesBefore))
        }
        var random = SystemRandomNumberGenerator()
        let post = { (payload: [UInt8], id: Int) in
            RequestBodyLimitTests.request(code: 2, messageID: UInt16(truncatingIfNeeded: id), path: "readings", options: [(12, [16])], payload: payload)
        }

        try await attack("random datagrams", port: plain, (0..<20_000).map { i in
            (0..<(1 + i % 200)).map { _ in UInt8.random(in: 0...255, using: &random) }
        })
        try await attack("malformed CoAP (version 2, TKL 15, reserved nibbles, options past the end, 300 Uri-Paths)", port: plain,
                         (0..<4_000).map { i -> [UInt8] in
            let id = [UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)]
            switch i % 5 {
            case 0: return [0x80, 0x01] + id                                        // version 2
            case 1: return [0x4F, 0x01] + id + [UInt8](repeating: 0, count: 15)     // token length 15
            case 2: return [0x40, 0x01] + id + [0xF1, 0x00]                         // reserved delta nibble
            case 3: return [0x40, 0x01] + id + [0xBD, 0xFF, 0x01]                   // an option past the end
            default: return [0x40, 0x01] + id + [UInt8](repeating: 0x01, count: 300).flatMap { _ in [0xB1, 0x61] }  // 300 Uri-Path
            }
        })
        // A message node-1 sent, captured on the way.
        deviceReadings += 1
        let captured = try sealer.seal(GatewayProcessTests.reading(deviceReadings), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await device.post("coaps://127.0.0.1:\(dtls)/readings", payload: captured, contentFormat: .coseEncrypt0).code == .created)
        let forger = try Sealer(key: try DeviceSecret.generate().deriveKey(kid: [1]), deviceID: "node-1",
                                sequenceNumbers: InMemorySequenceNumberSource(startingAt: 100_000))
        try await attack("forged seals under node-1's kid, and replays of a captured one", port: plain, try (0..<2_000).map { i in
            i.isMultiple(of: 2) ? post(try forger.seal(GatewayProcessTests.reading(-i), contentFormat: 112), i) : post(captured, i)
        })
        let bombs = Self.cborBombs()
        try await attack("CBOR bombs as the sealed message", port: plain, (0..<700).map { i in post(bombs[i % bombs.count], i) })
        try await attack("bit flips of a valid sealed message", port: plain, (0..<(captured.count * 8)).map { bit in
            var flipped = captured
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            return post(flipped, bit)
        })
        try await attack("block-wise transfers started from one address (cap 8)", port: plain, (0..<50).map { i in
            RequestBodyLimitTests.request(code: 2, messageID: UInt16(i), path: "readings",
                                          options: [(12, [16]), (27, RequestBodyLimitTests.block(0, more: true, szx: 2)), (292, [UInt8(i)])],
                                          payload: [UInt8](repeating: 0x42, count: 64))
        })
        try await attack("ClientHellos without a cookie (DTLS port)", port: dtls, (0..<5_000).map { i in
            HostilePeer.clientHello(sequence: UInt64(i))
        })
        try await attack("DTLS records that are no ClientHello (DTLS port)", port: dtls, (0..<5_000).map { i in
            [0x17, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, UInt8(i >> 8), UInt8(i & 0xFF), 0, 3, 0x01, 0x00, 0x00]
        })

        // Nothing but node-1's own readings is stored.
        let stored = try await device.get("coaps://127.0.0.1:\(dtls)/readings/node-1?limit=1000", accept: .senmlCBOR)
        let values = try SenMLPack(cbor: stored.payload).records.compactMap { $0.value.map { Int($0) } }
        #expect(values.sorted() == Array(1...deviceReadings), "stored: \(values.sorted())")

        print("| attack | sent | answers | RSS before → after | log lines |")
        print("| --- | ---: | --- | --- | ---: |")
        for row in rows {
            print("| \(row.attack) | \(row.sent) | \(row.outcome) | \(String(format: "%.1f → %.1f MB", Double(row.rssBefore) / 1024, Double(row.rssAfter) / 1024)) | \(row.logLines) |")
        }
        print("node-1: \(deviceReadings) readings sent over DTLS between the attacks, \(values.count) stored, nothing else stored")
        // AddressSanitizer keeps freed memory in quarantine (quarantine_size_mb, set by
        // .ci/sanitize.sh): the gateway's RSS may grow by that much more without a leak.
        let quarantineKB = (Int(ProcessInfo.processInfo.environment["SECURECOAP_ASAN_QUARANTINE_MB"] ?? "") ?? 0) * 1024
        for row in rows {
            #expect(row.rssAfter - row.rssBefore < 32 * 1024 + quarantineKB, "\(row.attack): RSS grew by \(row.rssAfter - row.rssBefore) kB")
            #expect(row.logLines <= 40, "\(row.attack): \(row.logLines) log lines")
        }
    }
}
