import CoAP
import Foundation
import Gateway
import LibCrypto
import Logging
import Sealing
import SenML

/// A gateway on loopback (free ports) with an in-memory directory of three devices, a readings
/// store in a temp dir, and helpers to seal and send readings as a node would.
final class GatewayFixture: Sendable {
    let directory = InMemoryDirectory()
    let gateway: Gateway
    let dataDirectory: String
    let masterKey: SecureBytes
    let secrets: [String: DeviceSecret]

    static let devices = ["node-1", "node-2", "admin"]

    init(logger given: Logger? = nil, dataDirectory: String? = nil, configure: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        self.dataDirectory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true)
        masterKey = try SecureBytes.random(count: 32)
        var secrets: [String: DeviceSecret] = [:]
        for (index, id) in Self.devices.enumerated() {
            directory.addDevice(GatewayDevice(id: id, isAdmin: id == "admin"))
            directory.addPSK(identity: "psk-\(id)", key: Array("key-of-\(id)".utf8), deviceID: id)
            let secret = try DeviceSecret.generate()
            secrets[id] = secret
            directory.addSealingSecret(GatewaySealingSecret(
                deviceID: id, kid: [UInt8(index + 1)], secret: secret.bytes.withUnsafeBytes { Array($0) }))
        }
        self.secrets = secrets
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dtlsPort = 0
        configuration.handshakeTimeout = .seconds(1)
        configure(&configuration)
        var logger = given ?? Logger(label: "test.gateway")
        if given == nil { logger.logLevel = ProcessInfo.processInfo.environment["FIXTURE_DEBUG"] != nil ? .debug : .critical }
        gateway = try Gateway(
            configuration: configuration, directory: directory, readingsPath: self.dataDirectory + "/readings.db", masterKey: masterKey,
            logger: logger)
        try gateway.start()
    }

    func stop() {
        gateway.shutdown()
        removeData()
    }

    /// The readings store's path (its replay state and lock sit beside it).
    var readingsPath: String { dataDirectory + "/readings.db" }

    func removeData() { try? FileManager.default.removeItem(atPath: dataDirectory) }

    var plain: String { "coap://127.0.0.1:\(gateway.port!)" }
    var secure: String { "coaps://127.0.0.1:\(gateway.dtlsPort!)" }

    /// A DTLS client for `device`. The short handshake timeout keeps refused handshakes quick; a
    /// test whose handshake must succeed on a loaded machine gives it more.
    func client(_ device: String, key: String? = nil, handshakeTimeout: Duration = .milliseconds(1500)) throws -> CoAPClient {
        var logger = Logger(label: "test.node")
        logger.logLevel = .critical
        let dtls = try DTLSClientConfiguration.psk(
            identity: "psk-\(device)", key: PSKKey(text: key ?? "key-of-\(device)"), handshakeTimeout: handshakeTimeout)
        return try CoAPClient(configuration: .init(requestTimeout: .seconds(5), dtls: dtls), logger: logger)
    }

    func sealer(_ device: String, startingAt first: UInt64 = 0) throws -> Sealer {
        let index = Self.devices.firstIndex(of: device)!
        let key = try secrets[device]!.deriveKey(kid: [UInt8(index + 1)])
        return try Sealer(key: key, deviceID: device, sequenceNumbers: InMemorySequenceNumberSource(startingAt: first))
    }

    static func reading(_ device: String, temperature: Double = 21.5) -> [UInt8] {
        SenMLPack([
            SenMLRecord(baseName: "\(device)/", name: "temp", unit: "Cel", value: temperature),
            SenMLRecord(name: "hum", unit: "%RH", value: 40),
            SenMLRecord(name: "bat", unit: "V", value: 3.1),
        ]).cbor()
    }

    /// Adds `count` devices ("\(prefix)-0", ...; kids `firstKid`, `firstKid + 1`, ...) with sealing
    /// keys, and seals `readings` readings for each (temperatures 0, 1, ...), in sequence order.
    func addSealingDevices(_ prefix: String, count: Int, firstKid: UInt8, readings: Int) throws -> [(id: String, messages: [[UInt8]])] {
        try (0..<count).map { i in
            let id = "\(prefix)-\(i)", kid = [firstKid + UInt8(i)]
            let secret = try DeviceSecret.generate()
            directory.addDevice(GatewayDevice(id: id))
            directory.addSealingSecret(GatewaySealingSecret(deviceID: id, kid: kid, secret: secret.bytes.withUnsafeBytes { Array($0) }))
            let sealer = try Sealer(key: try secret.deriveKey(kid: kid), deviceID: id, sequenceNumbers: InMemorySequenceNumberSource(startingAt: 0))
            let messages = try (0..<readings).map { n in
                try sealer.seal(Self.reading(id, temperature: Double(n)), contentFormat: ContentFormat.senmlCBOR.rawValue)
            }
            return (id, messages)
        }
    }

    func post(_ client: CoAPClient, base: String, payload: [UInt8], format: ContentFormat) async throws -> CoAPResponse {
        try await client.post("\(base)/readings", payload: payload, contentFormat: format)
    }
}
