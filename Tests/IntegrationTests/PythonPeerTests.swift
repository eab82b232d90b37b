import CoAP
import Foundation
import Testing
import Platform
import TestSupport

/// Our server and CLI against the Python peers in interop/peers/ (`make venv` installs them):
/// aiocoap 0.4.17 over tinydtls (DTLSSocket), python-mbedtls 2.10.1 (Mbed TLS 2.28) forcing one
/// cipher suite, and aiocoap's resource directory (`aiocoap-rd`). interop/README.md lists the
/// peers' quirks.
///
/// Skipped when SECURECOAP_SKIP_PYTHON=1; otherwise a missing venv fails with "run `make venv`".
@Suite(
    .serialized, .timeLimit(.minutes(3 * TestSupport.timeScale)),
    .enabled(if: PythonPeer.wanted, "SECURECOAP_SKIP_PYTHON=1: the Python peer tests are skipped"))
struct PythonPeerTests {
    // MARK: aiocoap (tinydtls) → our DTLS-PSK server

    @Test func aiocoapOverTinyDTLSGetsTheRightPayloadForEachIdentity() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try DTLSLoopbackTests.pskFixture(events: events)
        defer { fixture.stop() }
        for (identity, key) in DTLSLoopbackTests.keys.sorted(by: { $0.key < $1.key }) {
            let run = try await PythonPeer.aiocoap(["\(fixture.secureBase)/identity", "--identity", identity, "--key", key])
            #expect(run.status == PythonPeer.exitOK, "\(run)")
            let responses = PythonPeer.responses(run)
            #expect(responses.map(\.code) == ["2.05"], "\(run)")
            #expect(responses.first?.payload == identity, "the handler sees the identity tinydtls authenticated: \(run)")
            #expect(responses.first?.cipher == "TLS_PSK_WITH_AES_128_CCM_8", "the suite in our ServerHello: \(run)")
        }
        let hello = try await PythonPeer.aiocoap(["\(fixture.secureBase)/hello", "--identity", "node-1", "--key", "key-of-node-1"])
        #expect(hello.status == PythonPeer.exitOK && PythonPeer.responses(hello).map(\.payload) == ["hello"], "\(hello)")
        #expect(await TestSupport.eventually {
            Set(events.get().filter { $0.outcome == .established }.compactMap(\.identity)) == ["node-1", "node-2"]
        }, "the server reports both handshakes: \(events.get())")
    }

    @Test func aiocoapWithAWrongKeyOrUnknownIdentityIsRefusedInBoundedTime() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try DTLSLoopbackTests.pskFixture(events: events)
        defer { fixture.stop() }
        // OpenSSL drops the bad Finished without an alert and tinydtls reports nothing (aiocoap
        // alone would wait out CoAP's ~93 s retransmission budget): the script's own limit (5 s)
        // ends it, and it tells the unfinished handshake apart from a silent server.
        let wrongKey = try await PythonPeer.aiocoap(
            ["\(fixture.secureBase)/hello", "--identity", "node-2", "--key", "key-of-node-1", "--timeout", "5"])
        #expect(wrongKey.status == PythonPeer.exitHandshake, "\(wrongKey)")
        #expect(!wrongKey.timedOut, "the peer stopped by itself: \(wrongKey)")
        #expect(PythonPeer.responses(wrongKey).isEmpty, "no payload without a handshake: \(wrongKey)")
        #expect(await TestSupport.eventually { events.get().contains { $0.outcome == .timeout && $0.identity == "node-2" } },
                "the server reports the failed handshake for node-2: \(events.get())")

        // An unknown identity gets the same silence (the server does not tell which); only the
        // server's report names it.
        let unknown = try await PythonPeer.aiocoap(
            ["\(fixture.secureBase)/hello", "--identity", "intruder", "--key", "guess", "--timeout", "5"])
        #expect(unknown.status == PythonPeer.exitHandshake, "\(unknown)")
        #expect(PythonPeer.responses(unknown).isEmpty, "\(unknown)")
        #expect(events.get().contains { $0.outcome == .unknownIdentity && $0.identity == "intruder" }, "\(events.get())")
        #expect(!events.get().contains { $0.outcome == .established }, "\(events.get())")

        // The server keeps serving the right key.
        let good = try await PythonPeer.aiocoap(["\(fixture.secureBase)/identity", "--identity", "node-2", "--key", "key-of-node-2"])
        #expect(PythonPeer.responses(good).map(\.payload) == ["node-2"], "\(good)")
    }

    @Test func aiocoapObservesTheCounterOverPlainCoAP() async throws {
        let fixture = try FixtureServer()
        defer { fixture.stop() }
        // Keep changing for the whole observation, however late the client registers. A thread of
        // its own: on two cores the cooperative pool is shared with every other test.
        let stop = TestLocked(false)
        let ticker = Thread {
            for i in 1...60 where !stop.get() {
                usleep(150_000)
                fixture.counter.set(i)
                fixture.server.notifyObservers(of: "/counter")
            }
        }
        ticker.start()
        defer { stop.set(true) }
        let run = try await PythonPeer.aiocoap(["\(fixture.base)/counter", "--observe", "4", "--timeout", "20"])
        #expect(run.status == PythonPeer.exitOK, "\(run)")
        let responses = PythonPeer.responses(run)
        #expect(responses.count == 4, "the registration's response and three notifications: \(run)")
        #expect(responses.allSatisfy { $0.code == "2.05" && $0.observe != nil }, "every response carries Observe: \(run)")
        let values = responses.compactMap { Int($0.payload) }
        #expect(values.count == 4 && values == values.sorted() && values.last! > values.first!, "the counter's values, rising: \(run)")
        let sequence = responses.compactMap(\.observe)
        #expect(sequence == sequence.sorted(), "Observe numbers rise (RFC 7641 §4.4): \(run)")
    }

    // MARK: python-mbedtls → our DTLS-PSK server, one suite at a time

    static let mbedtlsSuites = ["TLS_PSK_WITH_AES_128_CCM_8", "TLS_PSK_WITH_AES_128_GCM_SHA256"]

    @Test(arguments: mbedtlsSuites)
    func mbedtlsClientWithAForcedSuite(suite: String) async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try DTLSLoopbackTests.pskFixture(events: events)
        defer { fixture.stop() }
        // Mbed TLS names the suite it negotiated with dashes.
        let negotiated = suite.replacingOccurrences(of: "_", with: "-")
        for (identity, key) in DTLSLoopbackTests.keys.sorted(by: { $0.key < $1.key }) {
            let run = try await PythonPeer.mbedtls(["\(fixture.secureBase)/identity", "--identity", identity, "--key", key, "--cipher", suite])
            #expect(run.status == PythonPeer.exitOK, "\(run)")
            let response = PythonPeer.responses(run).first
            #expect(response?.code == "2.05" && response?.payload == identity, "\(run)")
            #expect(response?.cipher == negotiated, "\(run)")
            #expect(response?.version == "DTLSv1_2", "\(run)")
        }
        let hello = try await PythonPeer.mbedtls(["\(fixture.secureBase)/hello", "--identity", "node-1", "--key", "key-of-node-1", "--cipher", suite])
        #expect(PythonPeer.responses(hello).map(\.payload) == ["hello"], "\(hello)")

        let wrongKey = try await PythonPeer.mbedtls(
            ["\(fixture.secureBase)/hello", "--identity", "node-1", "--key", "key-of-node-2", "--cipher", suite, "--handshake-timeout", "3"])
        #expect(wrongKey.status == PythonPeer.exitHandshake, "\(wrongKey)")
        #expect(!wrongKey.timedOut && PythonPeer.responses(wrongKey).isEmpty, "\(wrongKey)")
        #expect(await TestSupport.eventually { events.get().contains { $0.outcome == .timeout && $0.identity == "node-1" } },
                "the server reports the failed handshake for node-1: \(events.get())")
        #expect(Set(events.get().filter { $0.outcome == .established }.compactMap(\.identity)) == ["node-1", "node-2"], "\(events.get())")
    }

    // MARK: our CLI → aiocoap-rd (RFC 9176)

    @Test func ourCLIDiscoversAndRegistersWithAiocoapRD() async throws {
        let (rd, port) = try await PythonPeer.resourceDirectory()
        defer { rd.stop() }
        let base = "coap://127.0.0.1:\(port)"

        let discovery = try await PythonPeer.coap(["discover", "\(base)/"])
        #expect(discovery.status == 0, "\(discovery)")
        let links = discovery.stdout.split(separator: "\n").map(String.init)
        #expect(links.contains { $0.hasPrefix("</resourcedirectory/>") && $0.contains("rt=\"core.rd\"") }, "\(discovery)\nrd: \(rd.log)")
        #expect(links.contains { $0.hasPrefix("</endpoint-lookup/>") && $0.contains("rt=\"core.rd-lookup-ep\"") }, "\(discovery)")
        #expect(links.contains { $0.hasPrefix("</resource-lookup/>") && $0.contains("rt=\"core.rd-lookup-res\"") }, "\(discovery)")
        let filtered = try await PythonPeer.coap(["discover", "--rt", "core.rd", "\(base)/"])
        let registrationInterfaces = filtered.stdout.split(separator: "\n").compactMap { LinkFormat.target(of: String($0)) }
        #expect(registrationInterfaces == ["/resourcedirectory/"], "\(filtered)")

        let registration = "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",</sensors/light>;rt=\"light-lux\""
        // The registration interface that discovery announced ends with a slash: aiocoap-rd uses
        // trailing slashes on purpose, and RFC 7252 §6.4 step 8 keeps the empty last segment.
        let announced = try await PythonPeer.coap(
            ["post", "-v", "--content-format", "link", "--payload", registration, "\(base)/resourcedirectory/?ep=node0&lt=300"])
        #expect(announced.status == 0 && announced.stderr.contains("2.01"), "\(announced)")

        // The same registration interface, reached through the path aiocoap-rd also accepts
        // without a trailing slash (/rd, for LwM2M clients, logged as "via unannounced /rd").
        let post = try await PythonPeer.coap(
            ["post", "-v", "--content-format", "link", "--payload", registration, "\(base)/rd?ep=node1&lt=300"])
        #expect(post.status == 0, "\(post)\nrd: \(rd.log)")
        #expect(post.stderr.contains("2.01 Created"), "\(post)")
        let location = post.stderr.split(separator: "\n").filter { $0.contains("Location-Path:") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        #expect(location.first == "reg" && location.count >= 2, "the registration resource's location: \(post)")

        // The round trip: the RD's lookup interfaces now show node1 and its links (read with
        // aiocoap's client, and with ours below).
        let endpoints = try await PythonPeer.aiocoap(["\(base)/endpoint-lookup/"])
        let endpointLinks = PythonPeer.responses(endpoints).first.map { LinkFormat.split($0.payload) } ?? []
        #expect(endpointLinks.contains { $0.contains("ep=\"node1\"") && $0.hasPrefix("</\(location.joined(separator: "/"))>") },
                "\(endpoints)")
        let resources = try await PythonPeer.aiocoap(["\(base)/resource-lookup/?ep=node1"])
        let resourceLinks = PythonPeer.responses(resources).first.map { LinkFormat.split($0.payload) } ?? []
        #expect(resourceLinks.contains { $0.contains("/sensors/temp>") && $0.contains("rt=\"temperature-c\"") }, "\(resources)")
        #expect(resourceLinks.contains { $0.contains("/sensors/light>") && $0.contains("rt=\"light-lux\"") }, "\(resources)")

        let lookup = try await PythonPeer.coap(["get", "\(base)/endpoint-lookup/"])
        #expect(lookup.status == 0 && lookup.stdout.contains("ep=\"node1\""), "\(lookup)")
    }
}

/// The Python side: `$SECURECOAP_VENV/bin/python`, else `<package root>/.venv/bin/python`, and the
/// scripts in interop/peers/.
enum PythonPeer {
    static var wanted: Bool { ProcessInfo.processInfo.environment["SECURECOAP_SKIP_PYTHON"] != "1" }

    static var python: String {
        if let venv = ProcessInfo.processInfo.environment["SECURECOAP_VENV"], !venv.isEmpty { return venv + "/bin/python" }
        return TestSupport.packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// The interpreter, or a failure that says what to do.
    static func interpreter() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestFailure("the Python peers' venv is missing (\(python)): run `make venv`, or set SECURECOAP_SKIP_PYTHON=1 to skip")
        }
        return python
    }

    static func script(_ name: String) -> String {
        TestSupport.packageRoot.appendingPathComponent("interop/peers/\(name)").path
    }

    // The scripts' exit codes (see their headers).
    static let exitOK: Int32 = 0
    static let exitUsage: Int32 = 2
    static let exitHandshake: Int32 = 3

    /// One line of a script's JSON output: a CoAP response.
    struct Response: Decodable, Sendable {
        var code: String
        var payload: String
        var observe: Int?
        var cipher: String?
        var version: String?
    }

    static func responses(_ run: TestSupport.ProcessResult) -> [Response] {
        run.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(Response.self, from: Data($0.utf8)) }
    }

    /// Runs a peer script; `TestSupport.run`'s own limit sits well above the script's.
    static func peer(_ name: String, _ arguments: [String]) async throws -> TestSupport.ProcessResult {
        let run = try await TestSupport.run(try interpreter(), [script(name)] + arguments, timeout: 45)
        // A venv without the peers' modules: one clear failure, not a cascade of expectations.
        if run.status == exitUsage && run.stderr.contains("make venv") { throw TestFailure(run.stderr) }
        return run
    }

    static func aiocoap(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await peer("aiocoap_client.py", arguments)
    }

    static func mbedtls(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await peer("mbedtls_psk_client.py", arguments)
    }

    static func coap(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.product("coap"), arguments, timeout: 30)
    }

    /// aiocoap-rd on 127.0.0.1 and a free port, with a time limit of its own.
    static func resourceDirectory() async throws -> (TestSupport.Background, UInt16) {
        let rd = URL(fileURLWithPath: try interpreter()).deletingLastPathComponent().appendingPathComponent("aiocoap-rd").path
        guard FileManager.default.isExecutableFile(atPath: rd) else {
            throw TestFailure("aiocoap-rd is missing from the venv (\(rd)): run `make venv`")
        }
        let port = TestSupport.freeUDPPort()
        let server = try TestSupport.Background(
            "/usr/bin/timeout", ["120", try interpreter(), rd, "--bind", "127.0.0.1:\(port)"])
        do {
            try await TestSupport.waitForCoAPServer(port: port, timeout: 20)
        } catch {
            server.stop()
            throw TestFailure("aiocoap-rd did not start on 127.0.0.1:\(port): \(server.log)")
        }
        return (server, port)
    }
}
