import CoAP
import Foundation
import Logging
import Testing
import Platform
import TestSupport

/// Our DTLS client against our DTLS server on loopback: PSK with per-identity keys, X.509 with
/// mutual authentication, and every refusal bounded in time and explained.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct DTLSLoopbackTests {
    static let keys: [String: String] = ["node-1": "key-of-node-1", "node-2": "key-of-node-2"]

    /// A PSK fixture whose events land in `events`.
    static func pskFixture(events: TestLocked<[DTLSHandshakeEvent]>) throws -> FixtureServer {
        let keys = Self.keys
        let psk = DTLSServerConfiguration.PSK(hint: "gateway") { identity, _ in
            keys[identity.text].flatMap { try? PSKKey(text: $0) }.map { DTLSServerConfiguration.PSKMatch(key: $0, identity: identity.text) }
        }
        return try FixtureServer(dtls: .init(psk: psk, handshakeTimeout: .seconds(1)) { event in events.update { $0.append(event) } })
    }

    static func pskClient(_ identity: String, _ key: String) throws -> CoAPClient {
        var logger = Logger(label: "test.dtls.client")
        logger.logLevel = .critical
        return try CoAPClient(
            configuration: .init(dtls: try .psk(identity: identity, key: PSKKey(text: key), handshakeTimeout: .milliseconds(1500))),
            logger: logger)
    }

    @Test func pskIdentitiesHaveTheirOwnKeysAndReachTheHandler() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pskFixture(events: events)
        defer { fixture.stop() }
        for (identity, key) in Self.keys {
            let client = try Self.pskClient(identity, key)
            defer { client.shutdown() }
            let response = try await client.get("\(fixture.secureBase)/identity")
            #expect(response.text == identity, "the handler sees the authenticated identity")
            #expect(try await client.get("\(fixture.secureBase)/hello").text == "hello", "the session is reused")
        }
        #expect(await TestSupport.eventually { events.get().filter { $0.outcome == .established }.count == 2 })
        #expect(Set(events.get().compactMap(\.identity)) == ["node-1", "node-2"])
        #expect(events.get().allSatisfy { $0.peer.host == "127.0.0.1" })
        // Plain CoAP on the same server has no identity.
        let plain = try CoAPClient()
        defer { plain.shutdown() }
        #expect(try await plain.get("\(fixture.base)/identity").text == "-")
    }

    @Test func aWrongKeyFailsWithinTheHandshakeTimeout() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pskFixture(events: events)
        defer { fixture.stop() }
        let client = try Self.pskClient("node-2", "key-of-node-1")
        defer { client.shutdown() }
        let start = ContinuousClock.now
        do {
            _ = try await client.get("\(fixture.secureBase)/hello")
            Issue.record("a wrong key cannot complete a handshake")
        } catch let error as CoAPError {
            #expect(error.code == .handshakeFailed)
            #expect(error.message.contains("no DTLS handshake") && error.message.contains("wrong PSK key"), "\(error)")
        }
        #expect(ContinuousClock.now - start < .seconds(15 * TestSupport.timeScale), "bounded by the 1.5 s handshake timeout (with room for a loaded machine), not the request timeout")
        #expect(await TestSupport.eventually { events.get().contains { $0.outcome == .timeout && $0.identity == "node-2" } },
                "the server reports the failed handshake for node-2: \(events.get())")
    }

    @Test func anUnknownIdentityIsRefusedLikeAWrongKeyAndReported() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pskFixture(events: events)
        defer { fixture.stop() }
        let client = try Self.pskClient("intruder", "guess")
        defer { client.shutdown() }
        await #expect(throws: CoAPError.self) { try await client.get("\(fixture.secureBase)/hello") }
        #expect(events.get().contains { $0.outcome == .unknownIdentity && $0.identity == "intruder" }, "\(events.get())")
        #expect(!events.get().contains { $0.outcome == .established })
        // The server keeps serving everyone else.
        let good = try Self.pskClient("node-1", "key-of-node-1")
        defer { good.shutdown() }
        #expect(try await good.get("\(fixture.secureBase)/identity").text == "node-1")
    }

    @Test func identitiesOpenSSLWouldTruncateAreRefused() throws {
        #expect(throws: CoAPError.self) { try PSKIdentity(String(repeating: "a", count: 65)) }
        #expect(throws: CoAPError.self) { try PSKIdentity(bytes: [0x61, 0x00, 0x62]) }
        #expect(throws: CoAPError.self) { try PSKIdentity("") }
        #expect(try PSKIdentity(String(repeating: "a", count: 64)).bytes.count == 64)
        #expect(throws: CoAPError.self) { try PSKKey(hex: "abc") }
        #expect(try PSKKey(hex: "00 11 22").bytes == [0, 0x11, 0x22])
        #expect(!"\(try PSKKey(text: "top-secret"))".contains("top-secret"), "keys never print")
    }

    // MARK: X.509

    static func pkiFixture(
        events: TestLocked<[DTLSHandshakeEvent]>, requireClientCertificate: Bool = true, serverCertificate: String = "server"
    ) throws -> FixtureServer {
        let pki = DTLSServerConfiguration.PKI(
            certificate: .file(try TestPKI.path("\(serverCertificate).pem")),
            privateKey: .file(try TestPKI.path("\(serverCertificate).key")),
            trustedCA: .file(try TestPKI.path("ca.pem")),
            requireClientCertificate: requireClientCertificate
        ) { certificate, _ in
            // Devices are named node-*; anything else is not ours.
            certificate.commonName.hasPrefix("node-") ? certificate.commonName : nil
        }
        return try FixtureServer(dtls: .init(pki: pki, handshakeTimeout: .seconds(2)) { event in events.update { $0.append(event) } })
    }

    static func pkiClient(_ name: String?, ca: String? = "ca", insecure: Bool = false) throws -> CoAPClient {
        let credentials = PKIClientCredentials(
            certificate: try name.map { .file(try TestPKI.path("\($0).pem")) },
            privateKey: try name.map { .file(try TestPKI.path("\($0).key")) },
            trustedCA: try ca.map { .file(try TestPKI.path("\($0).pem")) },
            insecure: insecure)
        var logger = Logger(label: "test.dtls.client")
        logger.logLevel = .critical
        return try CoAPClient(configuration: .init(dtls: .certificate(credentials, handshakeTimeout: .seconds(3))), logger: logger)
    }

    @Test func mutualAuthenticationMapsTheCertificateToAnIdentity() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pkiFixture(events: events)
        defer { fixture.stop() }
        let client = try Self.pkiClient("client")
        defer { client.shutdown() }
        #expect(try await client.get("\(fixture.secureBase)/identity").text == "node-42")
        #expect(await TestSupport.eventually { events.get().contains { $0.outcome == .established && $0.identity == "node-42" } })
    }

    @Test(arguments: [
        ("expired", "expired"), ("future", "not yet valid"), ("rogue", "trusted CA"),
        ("selfsigned", "trusted CA"), ("other-host", "not mapped"),
    ])
    func badClientCertificatesAreRefusedWithTheReason(name: String, reason: String) async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pkiFixture(events: events)
        defer { fixture.stop() }
        let client = try Self.pkiClient(name)
        defer { client.shutdown() }
        let start = ContinuousClock.now
        await #expect(throws: CoAPError.self) { try await client.get("\(fixture.secureBase)/identity") }
        #expect(ContinuousClock.now - start < .seconds(20 * TestSupport.timeScale), "bounded, even on a loaded machine")
        let refused = await TestSupport.eventually {
            events.get().contains { if case .certificateRefused(let why) = $0.outcome { why.contains(reason) } else { false } }
        }
        #expect(refused, "the server says why: \(events.get())")
        #expect(!events.get().contains { $0.outcome == .established })
    }

    @Test func aClientWithoutCertificateIsRefusedWhenMutualAuthenticationIsRequired() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        let fixture = try Self.pkiFixture(events: events)
        defer { fixture.stop() }
        let anonymous = try Self.pkiClient(nil)
        defer { anonymous.shutdown() }
        await #expect(throws: CoAPError.self) { try await anonymous.get("\(fixture.secureBase)/identity") }

        let open = try Self.pkiFixture(events: events, requireClientCertificate: false)
        defer { open.stop() }
        let client = try Self.pkiClient(nil)
        defer { client.shutdown() }
        #expect(try await client.get("\(open.secureBase)/identity").text == "-", "no certificate, no identity")
    }

    @Test func theClientChecksTheServersChainAndName() async throws {
        let events = TestLocked<[DTLSHandshakeEvent]>([])
        // A valid certificate for another host.
        let impostor = try Self.pkiFixture(events: events, serverCertificate: "other-host")
        defer { impostor.stop() }
        let client = try Self.pkiClient("client")
        defer { client.shutdown() }
        do {
            _ = try await client.get("\(impostor.secureBase)/hello")
            Issue.record("the certificate names other.example, not 127.0.0.1")
        } catch let error as CoAPError {
            #expect(error.code == .handshakeFailed)
            #expect(error.message.contains("does not name 127.0.0.1"), "\(error)")
        }
        // The right server, but the client trusts another CA.
        let fixture = try Self.pkiFixture(events: events)
        defer { fixture.stop() }
        let misled = try Self.pkiClient("client", ca: "rogue-ca")
        defer { misled.shutdown() }
        do {
            _ = try await misled.get("\(fixture.secureBase)/hello")
            Issue.record("the server's chain does not lead to the rogue CA")
        } catch let error as CoAPError {
            #expect(error.message.contains("trusted CA"), "\(error)")
        }
        // No CA at all: refused before any packet, unless insecure is asked for.
        let careless = try Self.pkiClient("client", ca: nil)
        defer { careless.shutdown() }
        do {
            _ = try await careless.get("\(fixture.secureBase)/hello")
            Issue.record("no CA means no connection")
        } catch let error as CoAPError {
            #expect(error.code == .invalidConfiguration)
        }
        let insecure = try Self.pkiClient("client", ca: nil, insecure: true)
        defer { insecure.shutdown() }
        #expect(try await insecure.get("\(fixture.secureBase)/identity").text == "node-42")
    }
}
