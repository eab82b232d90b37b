// The CoAP library in one page: a server with three routes, a client that calls them, and an
// observation (RFC 7641) fed by the server. Everything runs on loopback in this one process.
//
//     swift run coap-example
//
// The same server could run as a swift-service-lifecycle `Service` (`try await server.run()`);
// here `start()` and `shutdown()` keep the lifetime explicit.

import CoAP
import Synchronization

/// The state behind the observable `/counter` resource, shared by its handler and the program.
final class Counter: Sendable {
    private let value = Mutex(0)
    var current: Int { value.withLock { $0 } }
    func increment() { value.withLock { $0 += 1 } }
}

func runExample() async throws {
    let counter = Counter()

    // 1. Routes: handlers are `@Sendable (CoAPRequest) async throws -> CoAPResponse` closures.
    var router = CoAPRouter()
    router.get("/hello", attributes: .init(resourceTypes: ["greeting"], contentFormats: [.textPlain])) { _ in
        CoAPResponse(text: "Hello, CoAP!")
    }
    // `{name}` matches one path segment; its value arrives in `request.parameters`.
    router.get("/greet/{name}") { request in
        CoAPResponse(text: "Hello, \(request.parameters["name"] ?? "stranger")!")
    }
    // An observable resource: clients may register; `notifyObservers(of:)` sends each of them the
    // current representation, built by this same handler.
    router.get("/counter", attributes: .init(observable: true)) { _ in
        CoAPResponse(text: "count=\(counter.current)")
    }

    // 2. The server, on 127.0.0.1 and a port the system picks (port 0).
    let server = try CoAPServer(configuration: .init(host: "127.0.0.1", port: 0), router: router)
    try server.start()
    defer { server.shutdown() }
    guard let port = server.port else { fatalError("the server has no port after start()") }
    let base = "coap://127.0.0.1:\(port)"
    print("server listening on \(base)")

    // 3. A client: one request at a time here, all async. A 4.xx or 5.xx code is a response,
    //    not an error; errors are for exchanges that did not complete (timeout, unreachable peer).
    let client = try CoAPClient()
    defer { client.shutdown() }

    let hello = try await client.get("\(base)/hello")
    print("GET /hello        -> \(hello.code), \(hello.contentFormat.map { "\($0)" } ?? "no content-format"): \(hello.text)")

    let greeting = try await client.get("\(base)/greet/ada")
    print("GET /greet/ada    -> \(greeting.code): \(greeting.text)")

    let missing = try await client.get("\(base)/nope")
    print("GET /nope         -> \(missing.code)")

    // 4. Observe /counter: the first element answers the registration, the next ones are
    //    notifications. The program bumps the counter and notifies after each one it receives.
    //    Breaking out of the loop deregisters the client.
    print("observing /counter:")
    var received = 0
    for try await notification in try client.observe("\(base)/counter") {
        received += 1
        print("  notification \(received): \(notification.text) (Observe option \(notification.options.observe.map(String.init) ?? "none"))")
        if received == 3 { break }
        counter.increment()
        server.notifyObservers(of: "/counter")
    }

    // 5. Shut down: the client first (its in-flight requests would fail), then the server.
    client.shutdown()
    server.shutdown()
    print("client and server shut down")
}

try await runExample()
