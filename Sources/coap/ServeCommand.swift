import ArgumentParser
import CoAP
import Dispatch
import Foundation
import LibCrypto
import Platform

/// `coap serve`: a test and interop server, like libcoap's `coap-server -d`, built only from the
/// CoAP library's public API (router, server, DTLS configuration).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a test server (like libcoap's coap-server) until SIGINT or SIGTERM.",
        discussion: """
            Resources: GET /hello (text); GET, PUT, POST, DELETE /store/{key} (in memory; PUT and \
            POST create with 2.01 or change with 2.04); GET /counter (observable, changes every \
            --tick seconds); GET /large?size=N (N bytes, default 65536, block-wise: the lines \
            "%015d\\n" of 0, 1, 2 ... cut at N bytes); POST /upload (any size, block-wise; answers \
            2.04 with the SHA-256 of the body in hex); GET /identity (the requester's DTLS identity: \
            the PSK identity or the certificate's CN, "anonymous" over plain CoAP); \
            /.well-known/core.

            Prints "listening on coap://HOST:PORT" (and, with DTLS, "listening on \
            coaps://HOST:PORT") on stdout once it serves. Logs every DTLS handshake outcome on \
            stderr, and with -v every request. Exit status: 0 after SIGINT or SIGTERM; 64 on bad \
            arguments; 4 when it cannot bind.
            """
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "UDP port for plain CoAP (0: the system picks one).")
    var port: UInt16 = 0

    @Option(name: .customLong("dtls-port"), help: "UDP port for DTLS when credentials are given (0: the system picks one).")
    var dtlsPort: UInt16 = 0

    @Flag(name: .customLong("no-plain"), help: "Serve DTLS only.")
    var noPlain = false

    @Option(help: "Seconds between changes of /counter (each one notifies its observers).")
    var tick: Double = 1

    @Flag(name: .shortAndLong, help: "Log every request on stderr.")
    var verbose = false

    @OptionGroup(title: "DTLS (coaps://)")
    var security: ServerSecurityOptions

    func validate() throws {
        guard tick > 0 else { throw ValidationError("--tick must be positive") }
        if noPlain && !security.enabled { throw ValidationError("--no-plain needs DTLS credentials (--psk, --psk-identity or --cert)") }
    }

    func run() async throws {
        try await CLI.run("serve") {
            let state = ServeState(verbose: verbose)
            let dtls = try security.configuration(onHandshake: { event in ServeState.log("dtls: \(event)") })
            let server = try CoAPServer(
                configuration: .init(host: host, port: port, plainCoAP: !noPlain, dtls: dtls, dtlsPort: dtlsPort),
                router: state.router(), logger: CLI.logger(verbose: verbose))
            try server.start()
            defer { server.shutdown() }
            let shownHost = host.contains(":") ? "[\(host)]" : host
            var banner = ""
            if let port = server.port { banner += "listening on coap://\(shownHost):\(port)\n" }
            if let port = server.dtlsPort { banner += "listening on coaps://\(shownHost):\(port)\n" }
            FileHandle.standardOutput.write(Data(banner.utf8))

            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int64(tick * 1000)))
                    state.counter.withLock { $0 += 1 }
                    server.notifyObservers(of: "/counter")
                }
            }
            defer { ticker.cancel() }
            var signals = TerminationSignals.stream().makeAsyncIterator()
            let signal = await signals.next() ?? SIGTERM
            ServeState.log("stopping on signal \(signal)")
        }
    }
}

/// The server's in-memory state and its routes.
final class ServeState: Sendable {
    let store = Locked<[String: [UInt8]]>([:])
    let counter = Locked(0)
    let verbose: Bool

    /// The largest body /large serves.
    static let largestBody = 16 << 20

    init(verbose: Bool) { self.verbose = verbose }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data("coap serve: \(line)\n".utf8))
    }

    /// The deterministic body of `/large?size=N`: the lines "%015d\n" of 0, 1, 2 ... cut at N bytes.
    static func largeBody(size: Int) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(size + 16)
        var line = 0
        while body.count < size {
            let digits = String(line)
            body += Array(String(repeating: "0", count: max(0, 15 - digits.count)).utf8) + Array(digits.utf8) + [0x0A]
            line += 1
        }
        return Array(body.prefix(size))
    }

    func router() -> CoAPRouter {
        var router = CoAPRouter()
        let store = self.store, counter = self.counter

        on(&router, .get, "/hello", .init(resourceTypes: ["greeting"], contentFormats: [.textPlain])) { _ in
            CoAPResponse(text: "hello")
        }
        on(&router, .get, "/store/{key}") { request in
            guard let value = store.withLock({ $0[request.parameters["key"] ?? ""] }) else { return .status(.notFound) }
            return CoAPResponse(code: .content, payload: value, contentFormat: request.contentFormat)
        }
        let write: CoAPRouter.Handler = { request in
            let key = request.parameters["key"] ?? ""
            let existed = store.withLock { s in
                defer { s[key] = request.payload }
                return s[key] != nil
            }
            return .status(existed ? .changed : .created)
        }
        on(&router, .put, "/store/{key}", handler: write)
        on(&router, .post, "/store/{key}", handler: write)
        on(&router, .delete, "/store/{key}") { request in
            store.withLock { _ = $0.removeValue(forKey: request.parameters["key"] ?? "") }
            return .status(.deleted)
        }
        on(&router, .get, "/counter", .init(resourceTypes: ["counter"], contentFormats: [.textPlain], observable: true)) { _ in
            CoAPResponse(text: String(counter.withLock { $0 }))
        }
        on(&router, .get, "/large", .init(resourceTypes: ["block"], contentFormats: [.textPlain])) { request in
            let size = request.queryValue("size").map { Int($0) } ?? 65536
            guard let size, size >= 0, size <= Self.largestBody else {
                return .status(.badRequest, diagnostic: "size must be 0 to \(Self.largestBody)")
            }
            return CoAPResponse(code: .content, payload: Self.largeBody(size: size), contentFormat: .textPlain)
        }
        on(&router, .post, "/upload", .init(resourceTypes: ["sha256"])) { request in
            var hasher = try SHA256()
            hasher.update(request.payload)
            return CoAPResponse(code: .changed, text: Hex.encode(try hasher.finalize()))
        }
        on(&router, .get, "/identity", .init(contentFormats: [.textPlain])) { request in
            CoAPResponse(text: request.identity ?? "anonymous")
        }
        return router
    }

    /// Adds a route, logged with -v.
    private func on(
        _ router: inout CoAPRouter, _ method: CoAPMethod, _ path: String, _ attributes: CoAPResourceAttributes? = nil,
        handler: @escaping CoAPRouter.Handler
    ) {
        guard verbose else {
            router.on(method, path, attributes: attributes, handler)
            return
        }
        router.on(method, path, attributes: attributes) { request in
            let response = try await handler(request)
            var line = "\(request.method) \(request.path)"
            if !request.query.isEmpty { line += "?" + request.query.joined(separator: "&") }
            if let observe = request.options.observe { line += " observe=\(observe)" }
            if let block1 = request.options.block1 { line += " block1=\(block1)" }
            if let block2 = request.options.block2 { line += " block2=\(block2)" }
            line += " \(request.payload.count) bytes from \(request.peer.map(\.description) ?? "?")"
            if let identity = request.identity { line += " (\(identity))" }
            Self.log(line + " -> \(response.code)")
            return response
        }
    }
}
