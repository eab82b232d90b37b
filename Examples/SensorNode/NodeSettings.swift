// What the node needs to know: the gateway, its identity and its two secrets. For a real gateway
// they come from the environment (provisioned beforehand with `coap-registry add`, as in
// Examples/demo.sh); the demo gateway (LocalGateway.swift) makes its own.

import CoAP
import Foundation
import LibCrypto
import Sealing

struct NodeSettings {
    var gateway: CoAPURI
    var deviceID: String
    var pskKey: PSKKey
    var secret: DeviceSecret
    var kid: [UInt8]
    /// The offline queue and the sequence numbers: must survive restarts.
    var stateDirectory: String
    var readings: Int
    var interval: Duration

    /// Settings for a gateway run elsewhere:
    ///
    ///     NODE_DEVICE=node-1 NODE_PSK_KEY_HEX=3bbe… NODE_SECRET_FILE=node-1.secret NODE_KID=01 \
    ///     NODE_STATE_DIR=./sensor-node-state sensor-node-example coaps://127.0.0.1:5684
    ///
    /// NODE_KID defaults to 01, NODE_STATE_DIR to ./sensor-node-state; NODE_READINGS (default: no
    /// limit) and NODE_INTERVAL (seconds, default 2) are optional.
    static func fromEnvironment(gateway: String) throws -> NodeSettings {
        let environment = ProcessInfo.processInfo.environment
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw SettingsError("set \(name) (see NodeSettings.swift)") }
            return value
        }
        return NodeSettings(
            gateway: try CoAPURI(gateway),
            deviceID: try required("NODE_DEVICE"),
            pskKey: try PSKKey(hex: try required("NODE_PSK_KEY_HEX")),
            secret: try DeviceSecret(contentsOfFile: try required("NODE_SECRET_FILE")),
            kid: try Hex.decode(environment["NODE_KID"] ?? "01"),
            stateDirectory: environment["NODE_STATE_DIR"] ?? "./sensor-node-state",
            readings: environment["NODE_READINGS"].flatMap(Int.init) ?? .max,
            interval: .seconds(environment["NODE_INTERVAL"].flatMap(Double.init) ?? 2))
    }
}

extension NodeSettings {
    /// ``fromEnvironment(gateway:)``, or a message on stderr and exit status 64 (EX_USAGE).
    static func fromEnvironmentOrExit(gateway: String) -> NodeSettings {
        do {
            return try fromEnvironment(gateway: gateway)
        } catch {
            FileHandle.standardError.write(Data("sensor-node-example: \(error)\n".utf8))
            FileHandle.standardError.write(Data("usage: NODE_DEVICE=ID NODE_PSK_KEY_HEX=HEX NODE_SECRET_FILE=FILE [NODE_KID=01] sensor-node-example coaps://HOST:PORT\n".utf8))
            exit(64)
        }
    }
}

struct SettingsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
