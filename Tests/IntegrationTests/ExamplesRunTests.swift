import CoAP
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Every program in Examples/ runs to completion on its own, exits 0 and prints what
/// Examples/README.md shows (`swift build --build-tests` builds them next to the tests).
@Suite(.timeLimit(.minutes(3 * TestSupport.timeScale))) struct ExamplesRunTests {
    struct Example: Sendable, CustomStringConvertible {
        var product: String
        /// Lines (or parts of lines) the output must hold.
        var expected: [String]
        var description: String { product }
    }

    static let examples: [Example] = [
        Example(product: "coap-example", expected: [
            "GET /hello        -> 2.05 Content", "GET /nope         -> 4.04 Not Found", "notification 3: count=2",
            "client and server shut down",
        ]),
        Example(product: "sealing-example", expected: [
            "same message again: refused, replay", "one bit flipped:    refused, authenticationFailed",
            "the same, after the grace:    refused, revokedKid",
        ]),
        Example(product: "sensor-node-example", expected: [
            "reading 3: temp", "took 3 readings; 3 delivered; 0 left in the queue", "demo gateway stored 3 readings from sensor-1",
        ]),
        Example(product: "gateway-host-example", expected: [
            "GET /site   -> 2.05 Content: {\"devices\":1,\"site\":\"greenhouse-3\",\"uptime_s\":",
            "GET /health -> 2.05 Content: {", "GET /readings/sensor-1 without DTLS -> 4.01 Unauthorized", "self-check passed",
        ]),
        Example(product: "registry-example", expected: [
            "PSK for identity sensor-42: 16-byte key of sensor-42", "sensor-42 suspended:", "PSK for identity sensor-42: refused",
            "device.suspend  sensor-42  active → suspended", "audit log intact: 6 entries, chain verified",
        ]),
        Example(product: "senml-example", expected: [
            "SenML CBOR, 115 bytes", "decoded back: JSON equal, CBOR equal", "urn:dev:mac:0024befffe804ff1:temp  21.75 Cel",
            "with at most 3 records: refused, tooManyRecords",
        ]),
        Example(product: "firmware-example", expected: [
            "verified: signed by ECDSA P-256", "sequence 7, version 1.2.0", "image digest matches: true",
            "one bit flipped:     refused,", "signed by another key: refused, badSignature", "a changed image matches the digest: false",
        ]),
    ]

    @Test(arguments: examples) func runsAndExitsZero(_ example: Example) async throws {
        let result = try await TestSupport.run(try TestSupport.product(example.product), [], timeout: 60)
        #expect(result.status == 0 && !result.timedOut, "\(example.product): \(result)")
        for line in example.expected {
            #expect(result.stdout.contains(line), "\(example.product) did not print \"\(line)\":\n\(result.stdout)")
        }
    }

    /// `gateway-host-example --serve` keeps serving after its self-check, answers a client, and
    /// stops cleanly (exit 0) on SIGINT, as Ctrl-C would.
    @Test func gatewayHostServesUntilSIGINT() async throws {
        let host = try TestSupport.Background(try TestSupport.product("gateway-host-example"), ["--serve"])
        defer { host.stop() }
        var sitePort: UInt16?
        for _ in 0..<600 where sitePort == nil {
            // "gateway: coap://127.0.0.1:PORT (sealed readings, /site), coaps://…": /site is on the gateway's port.
            if let line = host.log.split(separator: "\n").first(where: { $0.hasPrefix("gateway: coap://") }), host.log.contains("self-check passed") {
                sitePort = line.split(separator: " ")[1].split(separator: ":").last.flatMap { UInt16($0.prefix { $0.isNumber }) }
            } else {
                #expect(host.isRunning, "gateway-host-example --serve ended early: \(host.log)")
                if !host.isRunning { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let port = try #require(sitePort, "no self-check within 30 s: \(host.log)")

        let client = try CoAPClient()
        defer { client.shutdown() }
        let site = try await client.get("coap://127.0.0.1:\(port)/site", timeout: .seconds(10))
        #expect(site.code == .content && site.text.contains("\"site\":\"greenhouse-3\""), "\(site.code): \(site.text)")

        host.child.signal(SIGINT)
        for _ in 0..<200 where host.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!host.isRunning, "still serving 10 s after SIGINT: \(host.log)")
        if !host.isRunning {
            #expect(host.child.waitBlocking() == 0, "\(host.log)")
            #expect(host.log.contains("stopped; 0 readings stored while serving"), "\(host.log)")
        }
    }
}
