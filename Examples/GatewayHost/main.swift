// The Gateway library embedded in an application of its own: a gateway over a device registry in a
// temporary directory, plus one resource of the application's, `GET /site`, which answers with the
// site's name and what the gateway knows (devices, readings stored).
//
//     swift run gateway-host-example            # start, check both resources with a client, exit
//     swift run gateway-host-example --serve    # and then serve until Ctrl-C (SIGINT) or SIGTERM
//
// The application hands its routes to `Gateway(…, routes:)`: they are served on the gateway's own
// ports, plain and DTLS, next to its POST /readings, GET /readings/{device}, /health and
// /security (which the application cannot replace). The gateway is a swift-service-lifecycle
// service.

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

// 2. The application's resource: GET /site, JSON, with what the registry knows.
let started = Date()
func siteRoutes(_ router: inout CoAPRouter) {
    router.get("/site", attributes: .init(resourceTypes: ["example.site"], contentFormats: [.json])) { _ in
        let summary: [String: Any] = [
            "site": site, "devices": try registry.devices().count, "uptime_s": Int(Date().timeIntervalSince(started)),
        ]
        var response = CoAPResponse(code: .content)
        response.payload = Array(try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]))
        response.options.contentFormat = .json
        return response
    }
}

// 3. The gateway with that route: plain CoAP and DTLS on ports the system picks, readings
//    encrypted at rest under a key derived from the registry's master key.
var configuration = GatewayConfiguration()
configuration.port = 0
configuration.dtlsPort = 0
let gateway = try Gateway(
    configuration: configuration, directory: RegistryDirectory(registry: registry), readingsPath: data + "/readings.db",
    masterKey: try registry.derivedKey(for: "readings"), logger: logger, routes: siteRoutes)
try gateway.start()
defer { gateway.shutdown() }

guard let plainPort = gateway.port, let dtlsPort = gateway.dtlsPort else { fatalError("no ports after start()") }
print("gateway: coap://127.0.0.1:\(plainPort) (sealed readings, /site), coaps://127.0.0.1:\(dtlsPort) (DTLS)")

// 4. A self-check, as a client would do it.
let client = try CoAPClient()
let siteResponse = try await client.get("coap://127.0.0.1:\(plainPort)/site")
print("GET /site   -> \(siteResponse.code): \(siteResponse.text)")
let health = try await client.get("coap://127.0.0.1:\(plainPort)/health")
print("GET /health -> \(health.code): \(health.text)")
let refused = try await client.get("coap://127.0.0.1:\(plainPort)/readings/sensor-1")
print("GET /readings/sensor-1 without DTLS -> \(refused.code)")
client.shutdown()
guard siteResponse.code == .content, health.code == .content else { fatalError("self-check failed") }
print("self-check passed")

// 5. Serve until SIGINT or SIGTERM, if asked: the ServiceGroup shuts the gateway down gracefully.
if serve {
    fflush(nil)  // the ports, for a script reading this output through a pipe
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: gateway)], gracefulShutdownSignals: [.sigint, .sigterm],
        logger: logger))
    try await group.run()
    print("stopped; \(gateway.readingsStored) readings stored while serving")
}
