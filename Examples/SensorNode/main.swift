// A sensor node through the Node library: a simulated temperature every 2 s, sealed (COSE_Encrypt0
// under the device's kid) and sent over DTLS-PSK to a gateway, kept in an encrypted on-disk queue
// until the gateway has acknowledged it.
//
//     swift run sensor-node-example                      # starts a demo gateway in this process
//     swift run sensor-node-example coaps://HOST:5684    # a real gateway; NODE_* settings, see NodeSettings.swift
//
// Without a URI the program provisions a device on a `Gateway` of its own (LocalGateway.swift),
// reports 3 readings and exits. With a URI it reports until interrupted: readings the gateway has
// not acknowledged stay queued in NODE_STATE_DIR and go first on the next run.

import Foundation
import Node
import SenML

let demoGateway = CommandLine.arguments.count < 2 ? try LocalGateway.start() : nil
let settings = demoGateway?.nodeSettings ?? NodeSettings.fromEnvironmentOrExit(gateway: CommandLine.arguments[1])

// ---- The node: what an application writes.
var configuration = NodeReporter.Configuration(gateway: settings.gateway, deviceID: settings.deviceID)
configuration.dtls = try .psk(identity: settings.deviceID, key: settings.pskKey)
configuration.sealing = .init(secret: settings.secret, kid: settings.kid)
configuration.queueDirectory = settings.stateDirectory  // the encrypted queue and the sequence numbers
let reporter = try NodeReporter(configuration: configuration)

var taken = 0
while taken < settings.readings {
    taken += 1
    let celsius = 21 + 1.5 * sin(Double(taken) / 2) + Double.random(in: -0.2...0.2)
    let reading = [SenMLRecord(name: "temp", unit: "Cel", value: (celsius * 10).rounded() / 10)]
    let report = try await reporter.report(reading)  // queued durably, then sent with whatever waits
    print("reading \(taken): temp \(reading[0].value!) Cel -> \(report.delivered) delivered, \(report.queued) queued")
    for message in report.messages { print("  \(message)") }
    if let error = report.error { print("  not delivered yet: \(error)") }
    if taken < settings.readings { try await Task.sleep(for: settings.interval) }
}
let flushed = await reporter.flush(timeout: .seconds(10))  // a last chance for anything still queued
let delivered = await reporter.status.delivered
await reporter.shutdown()
print("took \(taken) readings; \(delivered) delivered; \(flushed.queued) left in the queue")
// ---- End of the node.

if let demoGateway { try demoGateway.finish() }
exit(flushed.queued == 0 ? 0 : 2)
