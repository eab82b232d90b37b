import CoAP
import Foundation
import LibCrypto
import Sealing
import SenML
import Testing
import Platform
import TestSupport

/// `coap-gateway` as a process, provisioned with `coap-registry`: what an operator runs.
@Suite(.timeLimit(.minutes(3 * TestSupport.timeScale))) struct GatewayProcessTests {
    /// A data directory with a registry holding `node-1` … `node-N` (each a PSK and a sealing
    /// secret).
    struct Provisioned {
        let dir: String
        let secrets: [DeviceSecret]
        let pskHexes: [String]
        var secret: DeviceSecret { secrets[0] }
        var pskHex: String { pskHexes[0] }

        init(devices: Int = 1) async throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("gwp-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            let registry = try TestSupport.product("coap-registry")
            let db = ["--db", dir + "/data/registry.db"]
            let initialized = try await TestSupport.run(registry, ["init"] + db)
            #expect(initialized.status == 0, "\(initialized)")
            var secrets: [DeviceSecret] = [], pskHexes: [String] = []
            for n in 1...devices {
                let secret = try DeviceSecret.generate(), pskHex = Hex.encode(try SecureRandom.bytes(count: 16))
                let file = dir + "/node-\(n).secret"
                try secret.fileRepresentation().write(toFile: file, atomically: true, encoding: .utf8)
                chmod(file, 0o600)
                let added = try await TestSupport.run(registry, [
                    "add", "node-\(n)", "--psk-key-hex", pskHex, "--sealing-secret-file", file, "--kid", String(format: "%02x", n),
                    "--allow", "POST /readings", "--allow", "GET /readings/{device}",
                ] + db)
                #expect(added.status == 0, "\(added)")
                secrets.append(secret)
                pskHexes.append(pskHex)
            }
            self.secrets = secrets
            self.pskHexes = pskHexes
        }

        /// The sealing key of `node-N`.
        func key(_ n: Int) throws -> SealingKey { try secrets[n - 1].deriveKey(kid: [UInt8(n)]) }

        /// A DTLS client of `node-N`.
        func client(_ n: Int, timeout: Duration = .seconds(3), maxRetransmit: UInt16 = 4) throws -> CoAPClient {
            try CoAPClient(configuration: .init(
                requestTimeout: timeout, maxRetransmit: maxRetransmit,
                dtls: .psk(identity: "node-\(n)", key: PSKKey(hex: pskHexes[n - 1]))))
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

    /// A data directory whose gateway stored `count` readings of node-1 and stopped gracefully.
    static func storedReadings(_ count: Int) async throws -> Provisioned {
        let setup = try await Provisioned()
        let config = setup.dir + "/gateway.json"
        try #"{"ratePerDevice": 100000, "burstPerDevice": 100000}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (gateway, _, dtls) = try await setup.startGateway(["--config", config])
        defer { gateway.stop() }  // also when a request throws
        let sealer = try Sealer(key: try setup.key(1), deviceID: "node-1", sequenceNumbers: InMemorySequenceNumberSource(startingAt: 1))
        let client = try setup.client(1)
        for i in 0..<count {
            let sealed = try sealer.seal(reading(i), contentFormat: ContentFormat.senmlCBOR.rawValue)
            #expect(try await client.post("coaps://127.0.0.1:\(dtls)/readings", payload: sealed, contentFormat: .coseEncrypt0).code == .created)
        }
        client.shutdown()
        gateway.child.signal(SIGTERM)  // a graceful stop: the logs emptied into the files
        _ = gateway.child.waitBlocking()
        return setup
    }

    /// A damaged store stops the gateway at start with a message that says what to do; it does not
    /// serve (and overwrite) what is left of it.
    @Test(arguments: ["truncated", "overwritten"])
    func aDamagedReadingsStoreIsRefusedAtStart(damage: String) async throws {
        let setup = try await Self.storedReadings(300)
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let path = setup.dir + "/data/readings.db"
        let size = try #require((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue)
        let logSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
        #expect(logSize == 0, "the readings are in the store file, not only in its log")
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        if damage == "truncated" {
            try handle.truncate(atOffset: UInt64(size / 2))
        } else {
            try handle.seek(toOffset: UInt64(size / 2))
            handle.write(Data(repeating: 0xA5, count: 8192))
        }
        try handle.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try await TestSupport.run(
            try TestSupport.product("coap-gateway"), ["run", "--data", setup.dir + "/data", "--port", "0", "--dtls-port", "0"], timeout: 20)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("readings store") && result.stderr.contains("damaged") && result.stderr.contains("backup"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the damaged store is left as it was")
    }

    @Test func aMasterKeyOthersCanReadStopsTheGateway() async throws {
        let setup = try await Provisioned()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        chmod(setup.dir + "/data/registry.db.master-key", 0o644)
        let result = try await TestSupport.run(
            try TestSupport.product("coap-gateway"), ["run", "--data", setup.dir + "/data", "--port", "0", "--dtls-port", "0"], timeout: 20)
        #expect(result.status == 1 && result.stderr.contains("accessible by group or others (mode 644)"), "\(result)")
    }
}
