import CoAP
import Foundation
import Logging
@testable import Node
import Sealing
import SenML
import TestSupport

/// A device (secret in a temp dir), a test gateway that knows it, and reporter configurations
/// with short timeouts and backoff, so that outages in tests last milliseconds, not minutes.
final class NodeFixture: Sendable {
    let directory: TemporaryDirectory
    let secret: DeviceSecret
    let secretPath: String
    let deviceID: String
    let gateway: TestGateway

    init(deviceID: String = "node-7", kids: [[UInt8]] = [[0x01]]) throws {
        directory = try TemporaryDirectory()
        (secret, secretPath) = try DeviceSecret.generate(into: directory)
        self.deviceID = deviceID
        gateway = try TestGateway(pskIdentity: deviceID)
        for kid in kids { try gateway.register(secret: secret, deviceID: deviceID, kid: kid) }
    }

    var dataDirectory: String { directory.path + "/data" }

    /// A sealed, DTLS-PSK (or plain CoAP) configuration with the queue in `dataDirectory`.
    func configuration(secure: Bool = true, kid: [UInt8] = [0x01], queue: Bool = true) throws -> NodeReporter.Configuration {
        let uri = try CoAPURI(secure ? gateway.secureURI : gateway.plainURI)
        var configuration = NodeReporter.Configuration(gateway: uri, deviceID: deviceID)
        if secure {
            configuration.dtls = try .psk(identity: deviceID, key: gateway.pskKey, handshakeTimeout: .seconds(2 * TestSupport.timeScale))
        }
        configuration.sealing = .init(secret: secret, kid: kid)
        configuration.stateDirectory = dataDirectory
        configuration.queueDirectory = queue ? dataDirectory : nil
        configuration.requestTimeout = .seconds(3)
        configuration.ackTimeout = .milliseconds(500)
        configuration.retry = RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        return configuration
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "node-tests")
        logger.logLevel = .critical
        return logger
    }

    func reporter(_ configuration: NodeReporter.Configuration) throws -> NodeReporter {
        try NodeReporter(configuration: configuration, logger: Self.quietLogger)
    }

    func tearDown() {
        gateway.stop()
        directory.remove()
    }
}

/// A reading of three values: `temp`, `hum`, `pres`, with `index` folded into the temperature so
/// readings can be told apart and their order checked.
func threeValues(_ index: Int) -> [SenMLRecord] {
    [
        SenMLRecord(name: "temp", unit: "Cel", value: 20 + Double(index) / 4),
        SenMLRecord(name: "hum", unit: "%RH", value: 45),
        SenMLRecord(name: "pres", unit: "hPa", value: 1013),
    ]
}

/// The temperatures the gateway received, in order (each reading's first record).
func temperatures(_ gateway: TestGateway) -> [Double] {
    gateway.records.filter { $0.name == "temp" }.compactMap(\.value)
}
