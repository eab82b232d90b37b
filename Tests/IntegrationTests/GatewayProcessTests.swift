import CoAP
import Foundation
import LibCrypto
import Sealing
import SenML
import Testing
import Platform
import TestSupport

/// `coap-gateway` as a process, provisioned with `coap-registry`: what an operator runs.
@Suite(.timeLimit(.minutes(3))) struct GatewayProcessTests {
    /// A data directory with a registry holding `node-1` (PSK and a sealing secret).
    struct Provisioned {
        let dir: String
        let secret: DeviceSecret
        let pskHex: String

        init() async throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("gwp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            secret = try DeviceSecret.generate()
            try secret.fileRepresentation().write(toFile: dir + "/node-1.secret", atomically: true, encoding: .utf8)
            chmod(dir + "/node-1.secret", 0o600)
            pskHex = Hex.encode(try SecureRandom.bytes(count: 16))
            let registry = try TestSupport.product("coap-registry")
            let db = ["--db", dir + "/data/registry.db"]
            let initialized = try await TestSupport.run(registry, ["init"] + db)
            #expect(initialized.status == 0, "\(initialized)")
            let added = try await TestSupport.run(registry, [
                "add", "node-1", "--psk-key-hex", pskHex, "--sealing-secret-file", dir + "/node-1.secret", "--kid", "01",
                "--allow", "POST /readings", "--allow", "GET /readings/{device}",
            ] + db)
            #expect(added.status == 0, "\(added)")
        }

        func startGateway(_ extra: [String] = []) async throws -> (TestSupport.Background, plain: UInt16, dtls: UInt16) {
            let portsFile = dir + "/ports-\(UUID().uuidString)"
            let gateway = try TestSupport.Background(
                try TestSupport.product("coap-gateway"),
                ["run", "--data", dir + "/data", "--port", "0", "--dtls-port", "0", "--ports-file", portsFile, "--log-level", "warning"] + extra)
            for _ in 0..<200 {
                if let text = try? String(contentsOfFile: portsFile, encoding: .utf8), text.hasSuffix("\n") {
                    let ports = text.split(separator: " ").compactMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                    if ports.count == 2 { return (gateway, ports[0], ports[1]) }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw TestFailure("coap-gateway did not start: \(gateway.log)")
        }
    }

    static func reading(_ i: Int) -> [UInt8] {
        SenMLPack([SenMLRecord(baseName: "node-1/", name: "seq", value: Double(i))]).cbor()
    }

    /// Both durability levels keep what was acknowledged when the process is killed; `power`
    /// also flushes each commit to the device (see ReadingsStoreTests for the level in force).
    @Test(arguments: ["process", "power"])
    func aKilledGatewayLosesNoAcknowledgedReading(durability: String) async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let (gateway, _, dtls) = try await setup.startGateway(["--durability", durability])
        let key = try setup.secret.deriveKey(kid: [0x01])
        let sealer = try Sealer(key: key, deviceID: "node-1", sequenceNumbers: InMemorySequenceNumberSource(startingAt: 1))
        let client = try CoAPClient(configuration: .init(
            requestTimeout: .seconds(3), maxRetransmit: 1,
            dtls: .psk(identity: "node-1", key: PSKKey(hex: setup.pskHex))))
        defer { client.shutdown() }

        // A burst of CON readings, 8 at a time; the gateway is killed (SIGKILL) in the middle.
        let acknowledged = TestLocked<Set<Int>>([])
        // Killed once the burst is under way (at least 50 acknowledged), or after 10 s at most.
        let killer = Task {
            for _ in 0..<200 where acknowledged.get().count < 50 { try await Task.sleep(for: .milliseconds(50)) }
            gateway.child.signal(SIGKILL)
        }
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for i in stride(from: lane, to: 4000, by: 8) {
                        guard let sealed = try? sealer.seal(Self.reading(i), contentFormat: ContentFormat.senmlCBOR.rawValue) else { return }
                        guard let response = try? await client.post("coaps://127.0.0.1:\(dtls)/readings", payload: sealed, contentFormat: .coseEncrypt0)
                        else { return }  // the gateway is gone
                        if response.code == .created { acknowledged.update { _ = $0.insert(i) } }
                    }
                }
            }
        }
        try await killer.value
        gateway.stop()
        #expect(acknowledged.get().count > 10, "the burst got going before the kill")

        // A new gateway on the same data: every acknowledged reading is there.
        let (restarted, _, dtls2) = try await setup.startGateway(["--durability", durability])
        defer { restarted.stop() }
        let reader = try CoAPClient(configuration: .init(dtls: .psk(identity: "node-1", key: PSKKey(hex: setup.pskHex))))
        defer { reader.shutdown() }
        let health = try await reader.get("coaps://127.0.0.1:\(dtls2)/health")
        #expect(health.text.contains("\"durability\":\"\(durability)\""), "\(health.text)")
        let response = try await reader.get("coaps://127.0.0.1:\(dtls2)/readings/node-1?limit=1000", accept: .senmlCBOR)
        #expect(response.code == .content)
        let stored = Set(try SenMLPack(cbor: response.payload).records.compactMap { $0.value.map { Int($0) } })
        let lost = acknowledged.get().subtracting(stored)
        #expect(lost.isEmpty, "acknowledged but not stored: \(lost.sorted().prefix(20))")
    }

    /// A flood of malformed datagrams costs the log a few lines, not one per datagram: libcoap's
    /// per-packet complaints are held back per kind and summed up (issue: the log as a flood
    /// amplifier). The gateway keeps answering meanwhile.
    @Test func malformedDatagramsDoNotFloodTheLog() async throws {
        let p = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: p.dir) }
        let (gateway, plain, _) = try await p.startGateway()
        defer { gateway.stop() }
        let socket = try UDPSocket()
        defer { socket.close() }
        let sent = try await TestSupport.offThePool { () -> Int in
            var generator = SystemRandomNumberGenerator()
            var n = 0
            for i in 0..<3_000 {
                var datagram: [UInt8]
                switch i % 3 {
                case 0: datagram = (0..<(4 + i % 60)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                case 1: datagram = [0x4F, 0x01, UInt8(i & 0xFF), UInt8(i >> 8)] + [UInt8](repeating: 0xAA, count: 8)  // token length 15
                default: datagram = [0x40, 0x01, UInt8(i & 0xFF), UInt8(i >> 8), 0xBD, 0xFF, 0x01]  // an option past the end
                }
                socket.send(datagram, toPort: plain)
                n += 1
                if i % 200 == 0 { usleep(2_000) }
            }
            return n
        }
        try await Task.sleep(for: .milliseconds(500))
        let client = try CoAPClient()
        defer { client.shutdown() }
        let health = try await client.get("coap://127.0.0.1:\(plain)/health")
        #expect(health.code == .content, "the gateway still answers: \(health.code)")
        let lines = gateway.log.split(separator: "\n").filter { $0.contains("coap.source=libcoap") }
        #expect(lines.count <= 30, "\(lines.count) libcoap lines for \(sent) malformed datagrams:\n\(lines.prefix(10).joined(separator: "\n"))")
    }

    @Test func anUnknownDurabilityIsRefusedBeforeAnythingStarts() async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let r = try await TestSupport.run(
            try TestSupport.product("coap-gateway"),
            ["run", "--data", setup.dir + "/data", "--durability", "fast", "--port", "0", "--dtls-port", "0"], timeout: 20)
        #expect(r.status != 0)
        #expect(r.stderr.contains("durability must be process or power, not fast"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: setup.dir + "/data/readings.db"))
    }

    @Test func aWrongMasterKeyStopsTheGatewayWithAClearMessage() async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let wrongKey = setup.dir + "/wrong.key"
        try (Hex.encode(try SecureRandom.bytes(count: 32)) + "\n").write(toFile: wrongKey, atomically: true, encoding: .utf8)
        chmod(wrongKey, 0o600)
        let r = try await TestSupport.run(
            try TestSupport.product("coap-gateway"),
            ["run", "--data", setup.dir + "/data", "--master-key-file", wrongKey, "--port", "0", "--dtls-port", "0"], timeout: 20)
        #expect(r.status != 0)
        #expect(r.stderr.contains("master key"), "\(r)")
    }

    @Test func badConfigValuesAndUnknownKeysAreRefusedByName() async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let gateway = try TestSupport.product("coap-gateway")
        let cases: [(json: String, key: String)] = [
            (#"{"maxPayloadBytes": -1}"#, "maxPayloadBytes"), (#"{"ratePerDevice": 0}"#, "ratePerDevice"),
            (#"{"lockoutThreshold": 0}"#, "lockoutThreshold"), (#"{"lockoutSeconds": -1}"#, "lockoutSeconds"),
            (#"{"maxPayloadByte": 512}"#, "unknown key 'maxPayloadByte'"), (#"{"port": "5683"}"#, "'port' must be"),
            (#"{"maxHandshakesPerAddress": 0}"#, "maxHandshakesPerAddress"),
        ]
        for (i, c) in cases.enumerated() {
            let file = setup.dir + "/config-\(i).json"
            try c.json.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await TestSupport.run(gateway, ["run", "--data", setup.dir + "/data", "--port", "0", "--dtls-port", "0", "--config", file])
            #expect(result.status != 0 && result.stderr.contains(c.key), "\(c.json): \(result)")
        }
    }

    @Test func aSecondGatewayOnTheSameDataRefusesToStart() async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let (first, _, _) = try await setup.startGateway()
        defer { first.stop() }
        let second = try await TestSupport.run(
            try TestSupport.product("coap-gateway"), ["run", "--data", setup.dir + "/data", "--port", "0", "--dtls-port", "0"], timeout: 20)
        #expect(second.status == 1 && second.stderr.contains("another gateway uses the readings store"), "\(second)")
        #expect(first.isRunning)
    }
}
