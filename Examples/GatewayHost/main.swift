// The Gateway library embedded in an application of its own: a gateway over a device registry in a
// temporary directory, plus one resource of the application's, `GET /site`, which answers with the
// site's name and what the gateway knows (devices, readings stored).
//
//     swift run gateway-host-example            # start, check both resources with a client, exit
//     swift run gateway-host-example --serve    # and then serve until Ctrl-C (SIGINT) or SIGTERM
//
// `Gateway` builds its own router (POST /readings, GET /readings/{device}, /health, /security) and
// takes no extra routes, so the application's resource is served by a `CoAPServer` of its own, on a
// second port, next to the gateway. Both are swift-service-lifecycle services.

import CoAP
import DeviceRegistry
import Foundation
import Gateway
import Logging
import ServiceLifecycle

let site = "greenhouse-3"
let serve = CommandLine.arguments.contains("--serve")
var logger = Logger(label: "gateway-host")
logger.logLevel = serve ? .info : .warning

// 1. A registry in a temporary directory: a master key file (0600) and SQLite, as `coap-registry
//    init` makes them; one device with a PSK and the right to POST readings.
let data = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-host-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: data) }
try DeviceRegistry.createMasterKey(at: data + "/registry.db.master-key")
let registry = try DeviceRegistry(databasePath: data + "/registry.db", logger: logger)
defer { registry.close() }
var sensor = DeviceProvisioning(id: "sensor-1")
sensor.psk = .init(identity: "sensor-1", key: try DeviceRegistry.generatePSKKey())
sensor.allow = ["POST /readings"]
try registry.provision(sensor)

// 2. The gateway: plain CoAP and DTLS on ports the system picks, readings encrypted at rest under
//    a key derived from the registry's master key.
var configuration = GatewayConfiguration()
configuration.port = 0
configuration.dtlsPort = 0
let gateway = try Gateway(
    configuration: configuration, directory: RegistryDirectory(registry: registry), readingsPath: data + "/readings.db",
    masterKey: try registry.derivedKey(for: "readings"), logger: logger)
try gateway.start()
defer { gateway.shutdown() }

// 3. The application's resource, on its own server: GET /site, JSON.
var router = CoAPRouter()
router.get("/site", attributes: .init(resourceTypes: ["example.site"], contentFormats: [.json])) { _ in
    let summary: [String: Any] = [
        "site": site, "devices": try registry.devices().count, "readings_stored": gateway.readingsStored,
    ]
    var response = CoAPResponse(code: .content)
    response.payload = Array(try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]))
    response.options.contentFormat = .json
    return response
}
let siteServer = try CoAPServer(configuration: .init(host: "127.0.0.1", port: 0), router: router, logger: logger)
try siteServer.start()
defer { siteServer.shutdown() }

guard let plainPort = gateway.port, let dtlsPort = gateway.dtlsPort, let sitePort = siteServer.port else {
    fatalError("no ports after start()")
}
print("gateway: coap://127.0.0.1:\(plainPort) (sealed readings), coaps://127.0.0.1:\(dtlsPort) (DTLS)")
print("site resource: coap://127.0.0.1:\(sitePort)/site")

// 4. A self-check, as a client would do it.
let client = try CoAPClient()
let siteResponse = try await client.get("coap://127.0.0.1:\(sitePort)/site")
print("GET /site   -> \(siteResponse.code): \(siteResponse.text)")
let health = try await client.get("coap://127.0.0.1:\(plainPort)/health")
print("GET /health -> \(health.code): \(health.text)")
let refused = try await client.get("coap://127.0.0.1:\(plainPort)/readings/sensor-1")
print("GET /readings/sensor-1 without DTLS -> \(refused.code)")
client.shutdown()
guard siteResponse.code == .content, health.code == .content else { fatalError("self-check failed") }
print("self-check passed")

// 5. Serve until SIGINT or SIGTERM, if asked: the ServiceGroup shuts both servers down gracefully.
if serve {
    fflush(nil)  // the ports, for a script reading this output through a pipe
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: gateway), .init(service: siteServer)], gracefulShutdownSignals: [.sigint, .sigterm],
        logger: logger))
    try await group.run()
    print("stopped; \(gateway.readingsStored) readings stored while serving")
}
