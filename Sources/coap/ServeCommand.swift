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
            let signal = await ServeCommand.waitForTerminationSignal()
            ServeState.log("stopping on signal \(signal)")
        }
    }

    /// Waits for SIGINT or SIGTERM (their default action is replaced for the rest of the process).
    static func waitForTerminationSignal() async -> Int32 {
        let received = Locked<(signal: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))
        let sources = [SIGINT, SIGTERM].map { signo in
            #if canImport(Darwin)
            signal(signo, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler {
                let waiter = received.withLock { state -> CheckedContinuation<Int32, Never>? in
                    guard state.signal == nil else { return nil }
                    state.signal = signo
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: signo)
            }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        return await withCheckedContinuation { continuation in
            let already = received.withLock { state -> Int32? in
                if state.signal == nil { state.waiter = continuation }
                return state.signal
            }
            if let already { continuation.resume(returning: already) }
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
        let write: CoAPRouter.SynchronousHandler = { request in
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

    /// Adds a route whose handler runs on the loop thread (answered in the ACK), logged with -v.
    private func on(
        _ router: inout CoAPRouter, _ method: CoAPMethod, _ path: String, _ attributes: CoAPResourceAttributes? = nil,
        handler: @escaping CoAPRouter.SynchronousHandler
    ) {
        guard verbose else {
            router.on(method, path, attributes: attributes, synchronous: handler)
            return
        }
        router.on(method, path, attributes: attributes, synchronous: { request in
            let response = try handler(request)
            var line = "\(request.method) \(request.path)"
            if !request.query.isEmpty { line += "?" + request.query.joined(separator: "&") }
            if let observe = request.options.observe { line += " observe=\(observe)" }
            if let block1 = request.options.block1 { line += " block1=\(block1)" }
            if let block2 = request.options.block2 { line += " block2=\(block2)" }
            line += " \(request.payload.count) bytes from \(request.peer.map(\.description) ?? "?")"
            if let identity = request.identity { line += " (\(identity))" }
            Self.log(line + " -> \(response.code)")
            return response
        })
    }
}

/// The server's DTLS credentials: PSK identities and keys, and/or a certificate.
struct ServerSecurityOptions: ParsableArguments {
    @Option(name: .customLong("psk"), help: "A client's PSK identity and key as text, ID:KEY (split at the first colon); repeat for more clients.")
    var psk: [String] = []

    @Option(name: .customLong("psk-identity"), help: "A client's PSK identity; its key comes from --psk-key, --psk-key-hex or --psk-key-file.")
    var pskIdentity: String?

    @Option(name: .customLong("psk-key"), help: "The key of --psk-identity as text.")
    var pskKey: String?

    @Option(name: .customLong("psk-key-hex"), help: "The key of --psk-identity as hex digits.")
    var pskKeyHex: String?

    @Option(name: .customLong("psk-key-file"), help: "Read the key of --psk-identity from a file.")
    var pskKeyFile: String?

    @Option(name: .customLong("psk-hint"), help: "PSK identity hint sent to clients (none by default).")
    var pskHint = ""

    @Option(name: .customLong("cert"), help: "Server certificate (PEM file).")
    var certificate: String?

    @Option(name: .customLong("key"), help: "Private key of --cert (PEM file).")
    var privateKey: String?

    @Option(name: .customLong("ca"), help: "CA certificate (PEM file) client certificates must lead to.")
    var ca: String?

    @Flag(name: .customLong("require-client-cert"), help: "Refuse clients without a certificate from --ca (mutual authentication).")
    var requireClientCertificate = false

    @Option(name: .customLong("handshake-timeout"), help: "Seconds a client's DTLS handshake may take before it is reported as failed.")
    var handshakeTimeout: Double = 10

    var enabled: Bool { !psk.isEmpty || pskIdentity != nil || certificate != nil }

    func validate() throws {
        try SecurityOptions.validatePSKKeyOptions(identity: pskIdentity, keys: [pskKey, pskKeyHex, pskKeyFile])
        for entry in psk where !entry.contains(":") || entry.hasPrefix(":") || entry.hasSuffix(":") {
            throw ValidationError("--psk takes ID:KEY, both non-empty")
        }
        if (certificate == nil) != (privateKey == nil) { throw ValidationError("--cert and --key go together") }
        if certificate == nil && (ca != nil || requireClientCertificate) { throw ValidationError("--ca and --require-client-cert need --cert and --key") }
        if requireClientCertificate && ca == nil { throw ValidationError("--require-client-cert needs --ca") }
        guard handshakeTimeout > 0 else { throw ValidationError("--handshake-timeout must be positive") }
    }

    /// The DTLS set-up, or nil when no credentials were given.
    func configuration(onHandshake: @escaping @Sendable (DTLSHandshakeEvent) -> Void) throws -> DTLSServerConfiguration? {
        guard enabled else { return nil }
        var keys: [PSKIdentity: PSKKey] = [:]
        do throws(CoAPError) {
            for entry in psk {
                let colon = entry.firstIndex(of: ":")!
                keys[try PSKIdentity(String(entry[..<colon]))] = try PSKKey(text: String(entry[entry.index(after: colon)...]))
            }
            if let pskIdentity {
                keys[try PSKIdentity(pskIdentity)] = try SecurityOptions.loadPSKKey(text: pskKey, hex: pskKeyHex, file: pskKeyFile)
            }
        } catch {
            throw CLIFailure(error.message, exitCode: CLI.usageStatus)
        }
        var configuration = DTLSServerConfiguration(
            handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)), onHandshake: onHandshake)
        if !keys.isEmpty {
            let table = keys
            configuration.psk = .init(hint: pskHint) { identity, _ in table[identity] }
        }
        if let certificate, let privateKey {
            configuration.pki = .init(
                certificate: .file(certificate), privateKey: .file(privateKey), trustedCA: ca.map(PEMSource.file),
                requireClientCertificate: requireClientCertificate,
                identify: { certificate, _ in certificate.commonName.isEmpty ? certificate.sha256Fingerprint : certificate.commonName })
        }
        return configuration
    }
}
