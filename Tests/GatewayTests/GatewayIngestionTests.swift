import CoAP
import Foundation
import Gateway
import LibCrypto
import Sealing
import SenML
import Testing
import TestSupport

/// The gateway end to end on loopback: what is accepted, stored and observed, and every refusal.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct GatewayIngestionTests {
    @Test func aSealedReadingOverDTLSIsStoredAndObserved() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let node = try f.client("node-1")
        defer { node.shutdown() }
        // An observer (node-1 reading its own readings) sees the next one arrive.
        let observation = try node.observe("\(f.secure)/readings/node-1")
        var iterator = observation.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.code == .content)

        let sealed = try f.sealer("node-1").seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        let response = try await f.post(node, base: f.secure, payload: sealed, format: .coseEncrypt0)
        #expect(response.code == .created, "\(response.text)")
        #expect(response.type == .acknowledgement, "the answer rides on the ACK: ingestion does not suspend")
        let notification = try await iterator.next()
        let pack = try SenMLPack(json: notification?.payload ?? [])
        #expect(pack.records.contains { $0.name == "node-1/temp" && $0.value == 21.5 }, "\(notification?.text ?? "-")")

        let stored = try f.gateway.store.readings(device: "node-1")
        #expect(stored.readings.count == 1 && stored.readings[0].measurements.count == 3)
        #expect(f.directory.lastSeen("node-1") != nil)
    }

    @Test func sealedReadingsAreAcceptedOverPlainCoAPButUnsealedOnesAreNot() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let plain = try CoAPClient()
        defer { plain.shutdown() }
        let sealed = try f.sealer("node-2").seal(GatewayFixture.reading("node-2"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await f.post(plain, base: f.plain, payload: sealed, format: .coseEncrypt0).code == .created, "the seal is the authentication")
        let unsealed = try await f.post(plain, base: f.plain, payload: GatewayFixture.reading("node-2"), format: .senmlCBOR)
        #expect(unsealed.code == .unauthorized && unsealed.text.contains("sealed"), "\(unsealed.text)")
        // Over DTLS too, by default: the device's policy requires seals.
        let node = try f.client("node-2")
        defer { node.shutdown() }
        #expect(try await f.post(node, base: f.secure, payload: GatewayFixture.reading("node-2"), format: .senmlCBOR).code == .unauthorized)
        f.directory.addDevice(GatewayDevice(id: "node-2", requireSealedReadings: false))
        #expect(try await f.post(node, base: f.secure, payload: GatewayFixture.reading("node-2"), format: .senmlCBOR).code == .created)
        #expect(try f.gateway.store.readings(device: "node-2").readings.count == 2)
    }

    @Test func refusalsAreClearCountedAndStoreNothing() async throws {
        let f = try GatewayFixture { $0.maxPayloadBytes = 512; $0.maxRecordsPerMessage = 8 }
        defer { f.stop() }
        let node = try f.client("node-1")
        defer { node.shutdown() }
        let sealer = try f.sealer("node-1")
        let cbor = ContentFormat.senmlCBOR.rawValue

        // Tampered: one flipped bit in the ciphertext.
        var tampered = try sealer.seal(GatewayFixture.reading("node-1"), contentFormat: cbor)
        tampered[tampered.count - 3] ^= 0x01
        #expect(try await f.post(node, base: f.secure, payload: tampered, format: .coseEncrypt0).code == .unauthorized)

        // Replay: the same message again from another peer (another session/port).
        let message = try sealer.seal(GatewayFixture.reading("node-1"), contentFormat: cbor)
        #expect(try await f.post(node, base: f.secure, payload: message, format: .coseEncrypt0).code == .created)
        let attacker = try CoAPClient()
        defer { attacker.shutdown() }
        let replay = try await f.post(attacker, base: f.plain, payload: message, format: .coseEncrypt0)
        #expect(replay.code == .unauthorized && replay.text.contains("replay"), "\(replay.text)")

        // Another device's base name, sealed by node-1.
        let foreign = try sealer.seal(GatewayFixture.reading("node-2"), contentFormat: cbor)
        #expect(try await f.post(node, base: f.secure, payload: foreign, format: .coseEncrypt0).code == .forbidden)

        // node-2's seal over node-1's DTLS session.
        let other = try f.sealer("node-2").seal(GatewayFixture.reading("node-2"), contentFormat: cbor)
        #expect(try await f.post(node, base: f.secure, payload: other, format: .coseEncrypt0).code == .forbidden)

        // An unknown kid.
        let stranger = try DeviceSecret.generate().deriveKey(kid: [0x77])
        let unknown = try Sealer(key: stranger, deviceID: "node-1", sequenceNumbers: InMemorySequenceNumberSource()).seal(GatewayFixture.reading("node-1"), contentFormat: cbor)
        #expect(try await f.post(node, base: f.secure, payload: unknown, format: .coseEncrypt0).code == .unauthorized)

        // Oversized, and too many records.
        #expect(try await f.post(node, base: f.secure, payload: Array(repeating: 0x41, count: 600), format: .coseEncrypt0).code == .requestEntityTooLarge)
        let many = SenMLPack((0..<20).map { SenMLRecord(name: "x\($0)", value: Double($0)) }).cbor()
        #expect(try await f.post(node, base: f.secure, payload: try sealer.seal(many, contentFormat: cbor), format: .coseEncrypt0).code == .requestEntityTooLarge)

        // Access denied by a rule.
        f.directory.deny(deviceID: "node-1", method: "POST", path: "/readings")
        #expect(try await f.post(node, base: f.secure, payload: try sealer.seal(GatewayFixture.reading("node-1"), contentFormat: cbor), format: .coseEncrypt0).code == .forbidden)

        #expect(try f.gateway.store.readings(device: "node-1").readings.count == 1, "only the one good reading")
        #expect(try f.gateway.store.readings(device: "node-2").readings.isEmpty)
        let totals = f.gateway.monitor.totals
        #expect(totals[.tamperedSeal] == 1 && totals[.replay] == 1 && totals[.foreignBaseName] == 1 && totals[.unknownKid] == 1)
        #expect(totals[.oversized] == 2 && (totals[.accessDenied] ?? 0) >= 2)
        #expect(f.directory.auditLog.contains { $0.action == "security.replay" && $0.deviceID == "node-1" })
    }

    @Test func aRetransmittedSealedMessageIsNotStoredTwice() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let node = try f.client("node-1")
        defer { node.shutdown() }
        let message = try f.sealer("node-1").seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await f.post(node, base: f.secure, payload: message, format: .coseEncrypt0).code == .created)
        // The same bytes from the same peer (the ACK was lost): answered, not stored again.
        #expect(try await f.post(node, base: f.secure, payload: message, format: .coseEncrypt0).code == .created)
        #expect(try f.gateway.store.readings(device: "node-1").readings.count == 1)
    }

    @Test func aBurstIsCommittedInGroupsEveryReadingExactlyOnce() async throws {
        let f = try GatewayFixture { $0.lockout.threshold = 1000 }
        defer { f.stop() }
        // Twelve devices report 20 sealed readings each, one after another, all twelve at once;
        // meanwhile an attacker replays copies of burst-0's first ten from another client.
        var streams = try f.addSealingDevices("burst", count: 12, firstKid: 0x40, readings: 20).map(\.messages)
        streams.append(Array(streams[0].prefix(10)))
        // 30 s per request, not 10: the suite shares 2 CPUs with floods and crash tests, and a
        // request is only late there (what is checked is that each reading is stored once).
        let clients = try streams.map { _ in try CoAPClient(configuration: .init(requestTimeout: .seconds(30))) }
        defer { for c in clients { c.shutdown() } }
        let codes = try await withThrowingTaskGroup(of: [CoAPResponseCode].self) { group in
            for (client, stream) in zip(clients, streams) {
                group.addTask {
                    var codes: [CoAPResponseCode] = []
                    for message in stream {
                        codes.append(try await f.post(client, base: f.plain, payload: message, format: .coseEncrypt0).code)
                    }
                    return codes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        // Of each original and its copy exactly one is stored (2.01); the other is refused as a
        // replay (4.01) or told to ask again (5.03) — never stored twice.
        #expect(codes.filter { $0 == .created }.count == 240, "\(codes.filter { $0 != .created })")
        #expect(codes.allSatisfy { [.created, .unauthorized, .serviceUnavailable].contains($0) }, "\(codes)")
        for i in 0..<12 {
            let stored = try f.gateway.store.readings(device: "burst-\(i)", limit: 1000).readings
            let temperatures = Set(stored.compactMap { $0.measurements.first { $0.name == "burst-\(i)/temp" }?.value })
            #expect(stored.count == 20 && temperatures.count == 20, "burst-\(i): \(stored.count) rows")
        }
        #expect(f.gateway.readingsStored == 240)
        #expect(f.gateway.readingCommits < 240, "readings that arrived together were committed together (\(f.gateway.readingCommits) commits)")
    }

    /// The commit worker reads the SenML: in a batch of good and bad packs it refuses each bad one
    /// alone (a refused pack uses up no sequence number), stores the rest, and applies the
    /// allow-list before storing.
    @Test func theCommitWorkerRefusesBadPacksAloneAndKeepsOnlyAllowedNames() async throws {
        let f = try GatewayFixture { $0.lockout.threshold = 1000 }
        defer { f.stop() }
        f.directory.addDevice(GatewayDevice(id: "node-2", allowedNames: ["temp"]))
        let cbor = ContentFormat.senmlCBOR.rawValue
        let garbage = try f.sealer("node-1", startingAt: 100).seal([0xa1, 0xff], contentFormat: cbor)
        let foreign = try f.sealer("node-1", startingAt: 101).seal(GatewayFixture.reading("node-2"), contentFormat: cbor)
        let json = try f.sealer("node-1", startingAt: 102).seal(Array(#"[{"n":"temp","v":1}"#.utf8), contentFormat: ContentFormat.senmlJSON.rawValue)
        // The same numbers as the refused packs, with good readings.
        let retry = try f.sealer("node-1", startingAt: 100)
        let good = try (0..<2).map { _ in try retry.seal(GatewayFixture.reading("node-1", temperature: 30), contentFormat: cbor) }
        let node2 = try f.sealer("node-2")
        let filtered = try (0..<8).map { try node2.seal(GatewayFixture.reading("node-2", temperature: Double($0)), contentFormat: cbor) }

        // All at once, so that they share batches.
        let messages = [garbage, foreign, json] + filtered
        let clients = try messages.map { _ in try CoAPClient() }
        defer { for c in clients { c.shutdown() } }
        let answers = try await withThrowingTaskGroup(of: (Int, CoAPResponse).self) { group in
            for (i, (client, message)) in zip(clients, messages).enumerated() {
                group.addTask { (i, try await f.post(client, base: f.plain, payload: message, format: .coseEncrypt0)) }
            }
            return try await group.reduce(into: [Int: CoAPResponse]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers[0]?.code == .badRequest, "\(answers[0]?.text ?? "")")
        #expect(answers[1]?.code == .forbidden && answers[1]?.text.contains("base name") == true)
        #expect(answers[2]?.code == .badRequest, "an unterminated JSON pack: \(answers[2]?.text ?? "")")
        #expect((3..<messages.count).allSatisfy { answers[$0]?.code == .created })
        let totals = f.gateway.monitor.totals
        #expect(totals[.malformed] == 2 && totals[.foreignBaseName] == 1)

        // The refused packs' numbers are still unused.
        let client = try CoAPClient()
        defer { client.shutdown() }
        for message in good {
            #expect(try await f.post(client, base: f.plain, payload: message, format: .coseEncrypt0).code == .created)
        }
        #expect(try f.gateway.store.readings(device: "node-1").readings.count == 2)

        // node-2 may report only "temp": hum and bat are dropped before the store, and counted.
        let stored = try f.gateway.store.readings(device: "node-2", limit: 100).readings
        #expect(stored.count == 8)
        #expect(stored.allSatisfy { $0.measurements.map(\.name) == ["node-2/temp"] })
        let health = try await client.get("\(f.plain)/health")
        let report = try JSONSerialization.jsonObject(with: Data(health.payload)) as? [String: Any]
        #expect(report?["records_dropped_by_allow_list"] as? Int == 16)
    }

    /// A graceful shutdown in the middle of a burst: every reading it stored was answered 2.01
    /// (none committed behind the sender's back), and what it refused was not stored — also when
    /// the grace runs out at once and what is queued is answered 5.03.
    @Test(arguments: [5.0, 0.0])
    func aGracefulShutdownAnswersEveryReadingItStored(grace: Double) async throws {
        let f = try GatewayFixture {
            $0.lockout.threshold = 1000
            $0.shutdownGrace = grace
        }
        defer { f.stop() }
        let streams = try f.addSealingDevices("stop", count: 8, firstKid: 0x60, readings: 400)
        let clients = try streams.map { _ in try CoAPClient() }
        defer { for c in clients { c.shutdown() } }
        let stopper = Thread {
            while f.gateway.readingsStored < 100 { usleep(1000) }
            f.gateway.shutdown()
        }
        stopper.start()
        // Each device sends until a reading is refused or unanswered (the server stopped). The
        // timeout is generous: a reading answered late on a loaded machine is still answered.
        let created = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for (client, stream) in zip(clients, streams) {
                group.addTask {
                    var created = 0
                    for message in stream.messages {
                        guard let response = try? await client.post("\(f.plain)/readings", payload: message, contentFormat: .coseEncrypt0,
                                                                    timeout: .seconds(5)) else { break }
                        if response.code != .created {
                            #expect(response.code == .serviceUnavailable, "\(response.code) \(response.text)")
                            break
                        }
                        created += 1
                    }
                    return (stream.id, created)
                }
            }
            return try await group.reduce(into: [String: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(f.gateway.readingsStored >= 100)
        for (id, acknowledged) in created {
            let stored = try f.gateway.store.readings(device: id, limit: 1000).readings.count
            #expect(stored == acknowledged, "\(id): \(stored) stored, \(acknowledged) acknowledged")
        }
    }

    @Test func suspendingAConnectedDeviceClosesItsSessionAndEndsItsObservation() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let node = try f.client("node-1")
        defer { node.shutdown() }
        let other = try f.client("node-2")
        defer { other.shutdown() }
        #expect(try await node.get("\(f.secure)/health").code == .content)
        let observation = try node.observe("\(f.secure)/readings/node-1")
        var iterator = observation.makeAsyncIterator()
        #expect(try await iterator.next()?.code == .content)

        let suspended = ContinuousClock.now
        f.directory.setActive(false, deviceID: "node-1")
        // The gateway closes the session (close_notify): the observation ends, within a second.
        var ended = false
        do { ended = try await iterator.next() == nil } catch { ended = true }
        #expect(ended, "the observation ended")
        // Typically ~10 ms; the bound is loose because this suite shares 2 CPUs with the others
        // (a timing target belongs in a benchmark, not a test).
        #expect(ContinuousClock.now - suspended < .seconds(5 * TestSupport.timeScale), "promptly after the suspension")
        // A request on the closed session gets nothing: the node must handshake again, and is refused.
        await #expect(throws: CoAPError.self) { try await node.get("\(f.secure)/health") }
        // Everyone else is served as before.
        #expect(try await other.get("\(f.secure)/health").code == .content)
    }

    @Test func badHandshakesAndInactiveDevicesAreRefusedButOnlyProvenMisbehaviourLocksOut() async throws {
        let f = try GatewayFixture { $0.lockout = .init(threshold: 3, window: .seconds(60), lockout: .seconds(60)) }
        defer { f.stop() }
        let wrongKey = try f.client("node-1", key: "not-the-key")
        defer { wrongKey.shutdown() }
        await #expect(throws: CoAPError.self) { try await wrongKey.get("\(f.secure)/health") }

        f.directory.setActive(false, deviceID: "node-2")
        let revoked = try f.client("node-2")
        defer { revoked.shutdown() }
        await #expect(throws: CoAPError.self) { try await revoked.get("\(f.secure)/health") }
        #expect(await waitFor { (f.gateway.monitor.totals[.unknownIdentity] ?? 0) >= 1 }, "a revoked device's identity is refused like an unknown one")

        // A sealed message from the inactive device over plain CoAP is refused too.
        let plain = try CoAPClient()
        defer { plain.shutdown() }
        let sealed = try f.sealer("node-2").seal(GatewayFixture.reading("node-2"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await f.post(plain, base: f.plain, payload: sealed, format: .coseEncrypt0).code == .forbidden)

        // A wrong key proves nothing about node-1: it is not locked out, and gets in with its key
        // (its address, which failed handshakes, is only throttled: a ClientHello may wait for a
        // retransmission).
        #expect(!f.gateway.monitor.isLockedOut(deviceID: "node-1"))
        let good = try f.client("node-1", handshakeTimeout: .seconds(6))
        defer { good.shutdown() }
        #expect(try await good.get("\(f.secure)/health").code == .content)

        // Misbehaviour on its own authenticated session does lock a device out: three requests
        // for readings it may not read.
        for _ in 0..<3 { #expect(try await good.get("\(f.secure)/readings/admin").code == .forbidden) }
        #expect(await waitFor { f.gateway.monitor.isLockedOut(deviceID: "node-1") })
        let again = try await f.post(good, base: f.secure, payload: try f.sealer("node-1").seal(
            GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue), format: .coseEncrypt0)
        #expect(again.code == .forbidden && again.text.contains("locked out"), "\(again.code) \(again.text)")
        #expect(f.directory.auditLog.contains { $0.action == "security.lockout" })
    }

    @Test func readingsAreReadableByTheirDeviceAndAdminsOnly() async throws {
        let f = try GatewayFixture()
        defer { f.stop() }
        let node1 = try f.client("node-1"), node2 = try f.client("node-2"), admin = try f.client("admin")
        defer { node1.shutdown(); node2.shutdown(); admin.shutdown() }
        let sealed = try f.sealer("node-1").seal(GatewayFixture.reading("node-1"), contentFormat: ContentFormat.senmlCBOR.rawValue)
        #expect(try await f.post(node1, base: f.secure, payload: sealed, format: .coseEncrypt0).code == .created)
        #expect(try await node1.get("\(f.secure)/readings/node-1").code == .content)
        #expect(try await node2.get("\(f.secure)/readings/node-1").code == .forbidden)
        let cbor = try await admin.get("\(f.secure)/readings/node-1?limit=5", accept: .senmlCBOR)
        #expect(cbor.contentFormat == .senmlCBOR)
        #expect(try SenMLPack(cbor: cbor.payload).records.count == 3)
        #expect(try await admin.get("\(f.secure)/security").code == .content)
        #expect(try await node1.get("\(f.secure)/security").code == .forbidden)
        let health = try await node1.get("\(f.secure)/health")
        #expect(health.text.contains("\"readings_total\":1"), "\(health.text)")
        #expect(health.contentFormat == .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(health.payload)) as? [String: Any], "\(health.text)")
        #expect(Set(object.keys) == ["commits_since_start", "disk_free_bytes", "durability", "readings_since_start", "readings_total",
                                     "records_dropped_by_allow_list", "status", "store", "uptime_s"])
        #expect(object["status"] as? String == "ok" && object["store"] as? String == "ok" && object["durability"] as? String == "process")
        #expect(object["readings_since_start"] as? Int == 1 && (object["commits_since_start"] as? Int ?? 0) >= 1)
        let plain = try CoAPClient()
        defer { plain.shutdown() }
        #expect(try await plain.get("\(f.plain)/readings/node-1").code == .unauthorized, "no identity over plain CoAP")
        let links = try await plain.get("\(f.plain)/.well-known/core").text
        #expect(links.contains("</readings>") && links.contains("</health>"), "\(links)")
    }

    private func waitFor(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<750 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
