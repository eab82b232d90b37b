import CoAP
import Foundation
import Gateway
import LibCrypto
import Logging
import Node
import Sealing
import SenML
import Testing
import TestSupport

/// The Node library against the real Gateway: sealed readings over DTLS stored and readable, and
/// readings taken while the gateway is down delivered in order once it is back.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct NodeGatewayTests {
    struct Setup {
        let dir: String
        let directory = InMemoryDirectory()
        let secret: DeviceSecret
        let masterKey: SecureBytes

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("nodegw-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            secret = try DeviceSecret.generate()
            masterKey = try SecureBytes.random(count: 32)
            directory.addDevice(GatewayDevice(id: "node-7"))
            directory.addPSK(identity: "node-7", key: Array("key-of-node-7".utf8), deviceID: "node-7")
            directory.addSealingSecret(GatewaySealingSecret(deviceID: "node-7", kid: [0x07], secret: secret.bytes.withUnsafeBytes { Array($0) }))
        }

        /// A gateway on the given DTLS port (0 picks one), over the same readings file.
        func gateway(dtlsPort: UInt16 = 0) throws -> Gateway {
            var configuration = GatewayConfiguration()
            configuration.port = 0
            configuration.dtlsPort = dtlsPort
            var logger = Logger(label: "test.gateway")
            logger.logLevel = .critical
            let gateway = try Gateway(configuration: configuration, directory: directory, readingsPath: dir + "/readings.db",
                                      masterKey: masterKey, logger: logger)
            try gateway.start()
            return gateway
        }

        func reporter(dtlsPort: UInt16) throws -> NodeReporter {
            var configuration = NodeReporter.Configuration(gateway: try CoAPURI("coaps://127.0.0.1:\(dtlsPort)"), deviceID: "node-7")
            configuration.dtls = try .psk(identity: "node-7", key: PSKKey(text: "key-of-node-7"), handshakeTimeout: .seconds(2))
            configuration.sealing = .init(secret: secret, kid: [0x07])
            configuration.stateDirectory = dir + "/node"
            configuration.queueDirectory = dir + "/node"
            configuration.requestTimeout = .seconds(3)
            configuration.retry = RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(300))
            var logger = Logger(label: "test.node")
            logger.logLevel = .critical
            return try NodeReporter(configuration: configuration, logger: logger)
        }
    }

    static func reading(_ i: Int) -> [SenMLRecord] {
        [SenMLRecord(name: "count", value: Double(i)), SenMLRecord(name: "temp", unit: "Cel", value: 20 + Double(i) / 10)]
    }

    @Test func sealedReadingsReachTheGatewayAndSurviveAnOutageInOrder() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        var gateway = try setup.gateway()
        let port = gateway.dtlsPort!
        let node = try setup.reporter(dtlsPort: port)

        for i in 1...3 {
            let report = try await node.report(Self.reading(i))
            #expect(report.delivered == 1 && report.queued == 0, "\(report)")
        }

        // The gateway goes away: readings wait in the node's encrypted queue.
        gateway.shutdown()
        for i in 4...6 { _ = try await node.report(Self.reading(i)) }
        #expect(await node.flush(timeout: .seconds(1)).queued == 3)

        // Back on the same port: the queue drains, in order, and nothing is stored twice.
        gateway = try setup.gateway(dtlsPort: port)
        defer { gateway.shutdown() }
        let drained = await node.flush(timeout: .seconds(20))
        #expect(drained.queued == 0, "\(drained)")
        await node.shutdown()

        let stored = try gateway.store.readings(device: "node-7", limit: 100)
        let counts = stored.readings.flatMap { $0.measurements }.filter { $0.name == "node-7/count" }.compactMap(\.value)
        #expect(counts == [1, 2, 3, 4, 5, 6], "stored in order, once each: \(counts)")
        #expect(stored.corruptRows == 0)
    }
}
