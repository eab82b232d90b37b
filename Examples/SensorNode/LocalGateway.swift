// The demo gateway the sensor node reports to when no gateway URI is given: the `Gateway` library
// in this process, on a free loopback DTLS port, with an in-memory device registry holding one
// device — a PSK for DTLS, a sealing secret under kid 01 and the right to POST /readings, what
// `coap-registry add node-1 --generate-psk --generate-sealing-key --kid 01 --allow "POST /readings"`
// would store. Everything lives in a temporary directory, removed by `finish()`.

import CoAP
import DeviceRegistry
import Foundation
import Gateway
import LibCrypto
import Logging
import Sealing

final class LocalGateway {
    let gateway: Gateway
    let registry: DeviceRegistry
    let directory: String
    let nodeSettings: NodeSettings

    static func start() throws -> LocalGateway { try LocalGateway() }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sensor-node-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        // Provision the device; the node gets the same secrets below.
        let deviceID = "sensor-1"
        let pskKey = try DeviceRegistry.generatePSKKey()
        let sealingSecret = try DeviceRegistry.generateSealingSecret()
        registry = try DeviceRegistry.inMemory(masterKey: SecureRandom.bytes(count: 32))
        var device = DeviceProvisioning(id: deviceID)
        device.psk = .init(identity: deviceID, key: pskKey)
        device.sealing = .init(kid: [0x01], secret: sealingSecret)
        device.allow = ["POST /readings"]
        try registry.provision(device)

        // The gateway: DTLS only, on a port the system picks; readings encrypted at rest.
        var configuration = GatewayConfiguration()
        configuration.plainCoAP = false
        configuration.dtlsPort = 0
        var logger = Logger(label: "demo-gateway")
        logger.logLevel = .warning
        gateway = try Gateway(
            configuration: configuration, directory: RegistryDirectory(registry: registry),
            readingsPath: directory + "/readings.db", masterKey: try registry.derivedKey(for: "readings"), logger: logger)
        try gateway.start()
        guard let port = gateway.dtlsPort else { throw SettingsError("the demo gateway has no DTLS port after start()") }
        print("demo gateway listening on coaps://127.0.0.1:\(port), device \(deviceID) provisioned (PSK, sealing kid 01)")

        nodeSettings = NodeSettings(
            gateway: try CoAPURI("coaps://127.0.0.1:\(port)"), deviceID: deviceID, pskKey: try PSKKey(bytes: pskKey),
            secret: try DeviceSecret(bytes: SecureBytes(sealingSecret)), kid: [0x01],
            stateDirectory: directory + "/node", readings: 3, interval: .seconds(2))
    }

    /// Prints what the gateway stored (opened, checked and decrypted from its store), then stops it.
    func finish() throws {
        defer {
            gateway.shutdown()
            registry.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let stored = try gateway.store.readings(device: nodeSettings.deviceID, limit: 100).readings
        let values = stored.flatMap(\.measurements).map { "\($0.name) \($0.value.map { "\($0)" } ?? "-") \($0.unit ?? "")" }
        print("demo gateway stored \(stored.count) readings from \(nodeSettings.deviceID): \(values.joined(separator: ", "))")
    }
}
