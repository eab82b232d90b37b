import CoAP
import Foundation
import Testing
import Platform
import TestSupport

/// DTLS against libcoap's own peers built with OpenSSL and with GnuTLS, in both roles. Debian's
/// coap-client exits 0 even when the handshake fails, so its output is what is checked; each
/// failure case is bounded in time.
@Suite(.timeLimit(.minutes(3 * TestSupport.timeScale))) struct DTLSPeerTests {
    static let backends = ["openssl", "gnutls"]

    /// coap-server-<backend> with the given credentials; plain CoAP on P, DTLS on P + 1.
    static func libcoapServer(_ backend: String, _ credentials: [String]) async throws -> (TestSupport.Background, UInt16) {
        let port = TestSupport.freeUDPPortPair()
        let server = try TestSupport.Background(
            "/usr/bin/timeout",
            ["60", try TestSupport.tool("coap-server-\(backend)"), "-A", "127.0.0.1", "-p", "\(port)", "-v", "0"] + credentials)
        try await TestSupport.waitForCoAPServer(port: port)
        return (server, port + 1)
    }

    static func coap(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.product("coap"), arguments, timeout: 30)
    }

    static func libcoapClient(_ backend: String, _ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(
            try TestSupport.tool("coap-client-\(backend)"), ["-v", "0", "-B", "4"] + arguments, timeout: 30)
    }

    // MARK: our CLI → coap-server-openssl / coap-server-gnutls

    @Test(arguments: backends) func ourClientSpeaksPSKToLibcoap(backend: String) async throws {
        let (server, dtlsPort) = try await Self.libcoapServer(backend, ["-k", "sesame", "-h", "libcoap-hint"])
        defer { server.stop() }
        let uri = "coaps://127.0.0.1:\(dtlsPort)/example_data"
        let put = try await Self.coap(["put", "--psk-identity", "node-1", "--psk-key", "sesame", "--payload", "over dtls", uri])
        #expect(put.status == 0, "\(put)")
        let get = try await Self.coap(["get", "--psk-identity", "node-1", "--psk-key-hex", "736573616d65", uri])
        #expect(get.status == 0 && get.stdout == "over dtls", "\(get)")

        let start = Date()
        let wrong = try await Self.coap(["get", "--psk-identity", "node-1", "--psk-key", "wrong", "--handshake-timeout", "2", uri])
        #expect(wrong.status == 5, "a wrong key is a DTLS failure: \(wrong)")
        #expect(wrong.stderr.contains("no DTLS handshake"), "\(wrong)")
        #expect(Date().timeIntervalSince(start) < 20, "bounded by --handshake-timeout (with room for a loaded machine)")
    }

    @Test(arguments: backends) func ourClientVerifiesLibcoapsCertificate(backend: String) async throws {
        let (server, dtlsPort) = try await Self.libcoapServer(backend, [
            "-c", try TestPKI.path("server.pem"), "-j", try TestPKI.path("server.key"), "-C", try TestPKI.path("ca.pem"),
        ])
        defer { server.stop() }
        let uri = "coaps://127.0.0.1:\(dtlsPort)/"
        let mine = ["--cert", try TestPKI.path("client.pem"), "--key", try TestPKI.path("client.key")]
        let good = try await Self.coap(["get"] + mine + ["--ca", try TestPKI.path("ca.pem"), uri])
        #expect(good.status == 0 && good.stdout.contains("libcoap"), "\(good)")
        let rogue = try await Self.coap(["get"] + mine + ["--ca", try TestPKI.path("rogue-ca.pem"), uri])
        #expect(rogue.status == 5 && rogue.stderr.contains("trusted CA"), "\(rogue)")
        let noCA = try await Self.coap(["get"] + mine + [uri])
        #expect(noCA.status == 64 && noCA.stderr.contains("insecure"), "\(noCA)")
    }

    // MARK: coap-client-openssl / coap-client-gnutls → our server

    @Test(arguments: backends) func libcoapClientsSpeakPSKToOurServer(backend: String) async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try DTLSLoopbackTests.pskFixture(events: events)
        defer { fixture.stop() }
        let good = try await Self.libcoapClient(backend, ["-u", "node-1", "-k", "key-of-node-1", "\(fixture.secureBase)/identity"])
        #expect(good.trimmedStdout == "node-1", "\(good)")
        let wrong = try await Self.libcoapClient(backend, ["-u", "node-1", "-k", "key-of-node-2", "\(fixture.secureBase)/identity"])
        #expect(!wrong.stdout.contains("node-1"), "\(wrong)")
        let unknown = try await Self.libcoapClient(backend, ["-u", "stranger", "-k", "whatever", "\(fixture.secureBase)/identity"])
        #expect(!unknown.stdout.contains("stranger") && !unknown.stdout.contains("node"), "\(unknown)")
        #expect(await TestSupport.eventually { events.get().contains { $0.outcome == .unknownIdentity && $0.identity == "stranger" } })
        #expect(events.get().contains { $0.outcome == .established && $0.identity == "node-1" })
    }

    @Test(arguments: backends) func libcoapClientsAuthenticateWithCertificatesToOurServer(backend: String) async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try DTLSLoopbackTests.pkiFixture(events: events)
        defer { fixture.stop() }
        let ca = try TestPKI.path("ca.pem")
        let good = try await Self.libcoapClient(backend, [
            "-c", try TestPKI.path("client.pem"), "-j", try TestPKI.path("client.key"), "-C", ca, "\(fixture.secureBase)/identity",
        ])
        #expect(good.trimmedStdout == "node-42", "\(good)")
        let expired = try await Self.libcoapClient(backend, [
            "-c", try TestPKI.path("expired.pem"), "-j", try TestPKI.path("expired.key"), "-C", ca, "\(fixture.secureBase)/identity",
        ])
        #expect(!expired.stdout.contains("node"), "\(expired)")
        let rogue = try await Self.libcoapClient(backend, [
            "-c", try TestPKI.path("rogue.pem"), "-j", try TestPKI.path("rogue.key"), "-C", ca, "\(fixture.secureBase)/identity",
        ])
        #expect(!rogue.stdout.contains("node"), "\(rogue)")
        // The expired certificate is refused with its reason; a client may not even send the
        // rogue one (GnuTLS offers only certificates from the CAs the server names) and is then
        // refused for having none.
        let refused = await TestSupport.eventually {
            events.get().contains { if case .certificateRefused(let why) = $0.outcome { why.contains("expired") } else { false } }
                && events.get().filter { $0.outcome != .established }.count >= 2
        }
        #expect(refused, "\(events.get())")
        #expect(events.get().filter { $0.outcome == .established }.map(\.identity) == ["node-42"])
    }
}
