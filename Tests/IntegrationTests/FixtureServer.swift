import CoAP
import Foundation
import Logging
import Platform
import TestSupport

/// A server with the routes the integration tests exercise, on 127.0.0.1 and a free port.
final class FixtureServer: Sendable {
    let server: CoAPServer
    let store = TestLocked<[String: [UInt8]]>([:])
    let counter = TestLocked(0)
    let counterGets = TestLocked(0)
    let concurrency = TestLocked((active: 0, peak: 0))
    let port: UInt16
    /// The DTLS port, when the fixture was given a DTLS configuration.
    let dtlsPort: UInt16?

    init(dtls: DTLSServerConfiguration? = nil) throws {
        var router = CoAPRouter()
        let store = self.store, counter = self.counter, counterGets = self.counterGets, concurrency = self.concurrency
        router.get("/hello", attributes: .init(resourceTypes: ["greeting"], contentFormats: [.textPlain])) { _ in
            CoAPResponse(text: "hello")
        }
        router.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(20))
            return CoAPResponse(text: "slow")
        }
        router.post("/echo") { request in
            CoAPResponse(code: .changed, payload: request.payload, contentFormat: request.contentFormat)
        }
        router.get("/boom") { _ in
            struct Internal: Error { let detail = "secret-internal-detail" }
            throw Internal()
        }
        router.get("/sensors/temp", attributes: .init(resourceTypes: ["temperature-c"], interfaces: ["sensor"], contentFormats: [.textPlain])) { _ in
            CoAPResponse(text: "21.5")
        }
        router.get("/sensors/humidity", attributes: .init(resourceTypes: ["humidity"], contentFormats: [.textPlain])) { _ in
            CoAPResponse(text: "40")
        }
        router.get("/counter", attributes: .init(observable: true)) { request in
            // Registrations and notifications (Observe 0), not deregistrations (Observe 1).
            if request.options.observe != 1 { counterGets.update { $0 += 1 } }
            return CoAPResponse(text: String(counter.get()))
        }
        router.get("/store/{key}", attributes: .init(observable: true)) { request in
            guard let v = store.get()[request.parameters["key"]!] else { return .status(.notFound) }
            return CoAPResponse(code: .content, payload: v, contentFormat: .octetStream)
        }
        router.put("/store/{key}") { request in
            let key = request.parameters["key"]!
            let existed = store.update { s in
                defer { s[key] = request.payload }
                return s[key] != nil
            }
            return .status(existed ? .changed : .created)
        }
        router.delete("/store/{key}") { request in
            store.update { _ = $0.removeValue(forKey: request.parameters["key"]!) }
            return .status(.deleted)
        }
        router.get("/concurrent") { _ in
            concurrency.update { $0.active += 1; $0.peak = max($0.peak, $0.active) }
            try await Task.sleep(for: .milliseconds(300))
            concurrency.update { $0.active -= 1 }
            return CoAPResponse(text: "done")
        }
        router.get("/busy") { _ in
            usleep(300_000)  // holds the loop thread: what arrives meanwhile waits together
            return CoAPResponse(text: "done")
        }
        router.get("/whoami") { request in
            CoAPResponse(text: request.peer?.host ?? "?")
        }
        router.get("/identity") { request in
            CoAPResponse(text: request.identity ?? "-")
        }
        var logger = Logger(label: "test.server")
        logger.logLevel = ProcessInfo.processInfo.environment["FIXTURE_DEBUG"] != nil ? .debug : .warning
        server = try CoAPServer(
            configuration: .init(host: "127.0.0.1", port: 0, dtls: dtls, dtlsPort: 0), router: router, logger: logger)
        try server.start()
        port = server.port!
        dtlsPort = server.dtlsPort
    }

    /// `coaps://127.0.0.1:PORT`, when DTLS is on.
    var secureBase: String { "coaps://127.0.0.1:\(dtlsPort ?? 0)" }

    var base: String { "coap://127.0.0.1:\(port)" }

    func stop() { server.shutdown() }
}
