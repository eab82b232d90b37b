import CoAP
import DeviceRegistry
import Foundation
import Gateway
import Sealing
import SenML
import Testing
import Platform
import TestSupport

/// The gateway killed (SIGKILL) twenty times at random moments while three devices send bursts of
/// confirmable readings, restarted on the same data each time. A device keeps each sealed reading
/// until it is acknowledged and sends the same bytes again after a restart, as `coap-node`'s
/// queue does. Every reading a device saw acknowledged is in the store, and none is stored twice.
@Suite(.timeLimit(.minutes(5 * TestSupport.timeScale))) struct GatewayCrashTests {
    static let devices = 3, kills = 20, lanes = 4

    /// What one device has sent: sealed readings not yet acknowledged (by value), and those that were.
    final class Device: Sendable {
        let n: Int
        let sealer: Sealer
        let pending = TestLocked<[Int: [UInt8]]>([:])
        let acknowledged = TestLocked<Set<Int>>([])
        /// Sent again after a restart and answered as a replay: the gateway had stored it before the kill.
        let answeredAsReplay = TestLocked<Set<Int>>([])
        let next = TestLocked(0)

        init(n: Int, key: SealingKey) throws {
            self.n = n
            sealer = try Sealer(key: key, deviceID: "node-\(n)", sequenceNumbers: InMemorySequenceNumberSource(startingAt: 1))
        }

        /// The next reading to send: one left over from before the kill, else a new one, sealed once.
        func take() throws -> (value: Int, sealed: [UInt8]) {
            if let old = pending.update({ p -> (Int, [UInt8])? in p.min(by: { $0.key < $1.key }).map { p.removeValue(forKey: $0.key); return $0 } }) {
                return old
            }
            let value = next.update { v -> Int in v += 1; return n * 100_000 + v }
            let pack = SenMLPack([SenMLRecord(baseName: "node-\(n)/", name: "seq", value: Double(value))])
            return (value, try sealer.seal(pack.cbor(), contentFormat: ContentFormat.senmlCBOR.rawValue))
        }
    }

    @Test func twentyKillsLoseNoAcknowledgedReadingAndStoreNoneTwice() async throws {
        let setup = try await GatewayProcessTests.Provisioned(devices: Self.devices)
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let devices = try (1...Self.devices).map { try Device(n: $0, key: try setup.key($0)) }
        // Bursts well over the default rate per device (which 4.29s, then locks out, a flooding
        // device): the test is about crashes, not rates.
        let config = setup.dir + "/gateway.json"
        try #"{"ratePerDevice": 100000, "burstPerDevice": 100000}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var sentBeforeKill: [Int] = []
        let outcomes = TestLocked<[String: Int]>([:])

        for _ in 0..<Self.kills {
            let (gateway, _, dtls) = try await setup.startGateway(["--config", config])
            let clients = try (1...Self.devices).map { try setup.client($0, timeout: .seconds(2), maxRetransmit: 1) }
            let running = TestLocked(true)
            let sent = TestLocked(0)
            // Killed at a random moment, 0.2 to 1.2 s into the bursts.
            let killer = Task {
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...1200)))
                gateway.child.signal(SIGKILL)
                running.set(false)
            }
            await withTaskGroup(of: Void.self) { group in
                for (device, client) in zip(devices, clients) {
                    for _ in 0..<Self.lanes {
                        group.addTask {
                            while running.get(), let (value, sealed) = try? device.take() {
                                sent.update { $0 += 1 }
                                let response = try? await client.post(
                                    "coaps://127.0.0.1:\(dtls)/readings", payload: sealed, contentFormat: .coseEncrypt0)
                                switch response?.code {
                                case .created?, .changed?: device.acknowledged.update { _ = $0.insert(value) }
                                case .unauthorized? where response?.text.contains("replay") == true:
                                    device.answeredAsReplay.update { _ = $0.insert(value) }
                                default:
                                    outcomes.update { $0["\(response.map { "\($0.code)" } ?? "no answer")", default: 0] += 1 }
                                    device.pending.update { $0[value] = sealed }  // sent again after the restart
                                }
                            }
                        }
                    }
                }
            }
            try await killer.value
            for client in clients { client.shutdown() }
            gateway.stop()
            sentBeforeKill.append(sent.get())
        }

        // A last start on the same data (it starts, and serves), then the store as it is on disk:
        // every acknowledged reading is there, once.
        let (gateway, _, dtls) = try await setup.startGateway(["--config", config])
        let reader = try setup.client(1)
        #expect(try await reader.get("coaps://127.0.0.1:\(dtls)/readings/node-1?limit=1").code == .content)
        reader.shutdown()
        gateway.child.signal(SIGTERM)
        gateway.stop()
        let registry = try DeviceRegistry(databasePath: setup.dir + "/data/registry.db", masterKeyFile: setup.dir + "/data/registry.db.master-key")
        defer { registry.close() }
        let store = try ReadingsStore(path: setup.dir + "/data/readings.db", masterKey: try registry.derivedKey(for: "readings"))
        var acknowledged = 0, lost: [Int] = [], duplicated: [Int] = [], stored = 0
        for device in devices {
            let result = try store.readings(device: "node-\(device.n)", limit: 1_000_000)
            #expect(result.corruptRows == 0)
            let values = result.readings.flatMap { $0.measurements.compactMap { $0.value.map { Int($0) } } }
            let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
            stored += values.count
            acknowledged += device.acknowledged.get().count
            lost += device.acknowledged.get().filter { counts[$0] == nil }
            duplicated += counts.filter { $0.value > 1 }.map(\.key)
            // A reading answered as a replay after a restart had been stored before the kill.
            lost += device.answeredAsReplay.get().filter { counts[$0] == nil }
        }
        let replays = devices.reduce(0) { $0 + $1.answeredAsReplay.get().count }
        print("crash test: \(Self.kills) SIGKILLs, \(sentBeforeKill.reduce(0, +)) requests sent, \(acknowledged) acknowledged, "
            + "\(replays) sent again and answered as replays, other answers \(outcomes.get()), "
            + "\(stored) stored, \(lost.count) lost, \(duplicated.count) stored twice")
        #expect(sentBeforeKill.allSatisfy { $0 > 0 }, "every burst got going: \(sentBeforeKill)")
        #expect(acknowledged > Self.kills * 10, "the bursts were acknowledged between kills")
        #expect(lost.isEmpty, "acknowledged but not stored: \(lost.sorted().prefix(20))")
        #expect(duplicated.isEmpty, "stored twice: \(duplicated.sorted().prefix(20))")
    }
}
