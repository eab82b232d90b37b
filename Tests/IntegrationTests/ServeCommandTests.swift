import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// `coap serve` run as a child process, as interop/matrix.py runs it, with libcoap's client
/// talking to it.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct ServeCommandTests {
    /// Starts `coap serve` with `arguments` and waits for its "listening on" lines.
    static func serve(_ arguments: [String]) async throws -> (server: TestSupport.Background, plain: UInt16?, dtls: UInt16?) {
        let server = try TestSupport.Background(try TestSupport.product("coap"), ["serve"] + arguments)
        func port(_ scheme: String) -> UInt16? {
            server.log.split(separator: "\n").lazy
                .compactMap { $0.hasPrefix("listening on \(scheme)://127.0.0.1:") ? UInt16($0.split(separator: ":").last ?? "") : nil }
                .first
        }
        let started = await TestSupport.eventually(timeout: 20) { port("coap") != nil || !server.isRunning }
        guard started, let plain = port("coap") else {
            server.stop()
            throw TestFailure("coap serve did not start: \(server.log)")
        }
        return (server, plain, port("coaps"))
    }

    static func libcoapClient(_ arguments: [String], backend: String = "notls") async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.tool("coap-client-\(backend)"), ["-v", "0", "-B", "10"] + arguments, timeout: 30)
    }

    @Test func libcoapClientPutsThenGetsAndSIGTERMEndsTheServerWithStatus0() async throws {
        let (server, port, dtls) = try await Self.serve(["-v"])
        defer { server.stop() }
        #expect(dtls == nil, "no DTLS without credentials: \(server.log)")
        let base = "coap://127.0.0.1:\(port!)"

        let put = try await Self.libcoapClient(["-m", "put", "-e", "stored by libcoap", "\(base)/store/k1"])
        let get = try await Self.libcoapClient(["-m", "get", "\(base)/store/k1"])
        #expect(get.trimmedStdout == "stored by libcoap", "PUT: \(put)\nGET: \(get)\nserver: \(server.log)")
        #expect(server.log.contains("PUT /store/k1 17 bytes from 127.0.0.1:") && server.log.contains("-> 2.01 Created"),
                "-v logs the request and its answer: \(server.log)")

        let second = try await Self.libcoapClient(["-m", "put", "-e", "changed", "\(base)/store/k1"])
        #expect(!second.stdout.contains("4."), "\(second)")
        #expect(server.log.contains("-> 2.04 Changed"), "a second PUT changes the value: \(server.log)")
        let hello = try await Self.libcoapClient(["-m", "get", "\(base)/hello"])
        #expect(hello.trimmedStdout == "hello", "\(hello)")

        server.child.signal(SIGTERM)
        #expect(await TestSupport.eventually(timeout: 10) { !server.isRunning }, "SIGTERM ends it: \(server.log)")
        #expect(server.child.waitBlocking() == 0, "and it exits 0: \(server.log)")
    }

    @Test func coapObserveWithoutALimitRunsUntilSIGINTThenDeregistersAndExits0() async throws {
        let (server, port, _) = try await Self.serve(["-v", "--tick", "0.2"])
        defer { server.stop() }
        let observer = try TestSupport.start(try TestSupport.product("coap"), ["observe", "coap://127.0.0.1:\(port!)/counter"])
        func lines() -> [Substring] {
            ((try? String(contentsOfFile: observer.outPath, encoding: .utf8)) ?? "").split(separator: "\n")
        }
        let notified = await TestSupport.eventually(timeout: 20) { lines().count >= 3 || observer.child.poll() }
        #expect(notified && !observer.child.poll(), "it keeps observing: \(lines())\nserver: \(server.log)")
        #expect(lines().allSatisfy { Int($0) != nil }, "one counter value per line: \(lines())")

        observer.child.signal(SIGINT)
        let result = await observer.wait(timeout: 10)
        #expect(!result.timedOut && result.status == 0, "SIGINT ends it with status 0: \(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        #expect(await TestSupport.eventually(timeout: 10) { server.log.contains("GET /counter observe=1") },
                "the server saw the deregistration (Observe: 1): \(server.log)")
    }

    @Test func pskClientsGetTheirIdentityAndAWrongKeyIsReported() async throws {
        let (server, port, dtls) = try await Self.serve(["--psk", "node-1:key-one", "--psk", "node-2:key:two", "--handshake-timeout", "2"])
        defer { server.stop() }
        let secure = "coaps://127.0.0.1:\(try #require(dtls, "with --psk it serves DTLS: \(server.log)"))"
        #expect(port != nil)
        let one = try await Self.libcoapClient(["-u", "node-1", "-k", "key-one", "\(secure)/identity"], backend: "openssl")
        #expect(one.trimmedStdout == "node-1", "\(one)")
        let two = try await Self.libcoapClient(["-u", "node-2", "-k", "key:two", "\(secure)/identity"], backend: "openssl")
        #expect(two.trimmedStdout == "node-2", "the key is split at the first colon only: \(two)")
        let wrong = try await Self.libcoapClient(["-B", "4", "-u", "node-1", "-k", "key-two", "\(secure)/identity"], backend: "openssl")
        #expect(!wrong.stdout.contains("node-1"), "\(wrong)")
        #expect(await TestSupport.eventually { server.log.contains("(identity node-1): timeout") },
                "the handshake outcome is logged: \(server.log)")
    }
}
