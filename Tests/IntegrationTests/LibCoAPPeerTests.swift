import CoAP
import Foundation
import Testing
import Platform
import TestSupport

/// The `coap` CLI against libcoap's `coap-server-notls`, and libcoap's `coap-client-notls`
/// against our server. Debian's coap-client exits 0 even on failure, so its output is checked.
@Suite(.timeLimit(.minutes(2 * TestSupport.timeScale))) struct LibCoAPPeerTests {
    /// Starts coap-server-notls on 127.0.0.1 and a free port, with a time limit of its own.
    static func libcoapServer() async throws -> (TestSupport.Background, UInt16) {
        let port = TestSupport.freeUDPPort()
        let server = try TestSupport.Background(
            "/usr/bin/timeout", ["60", try TestSupport.tool("coap-server-notls"), "-A", "127.0.0.1", "-p", "\(port)", "-d", "10", "-v", "0"])
        try await TestSupport.waitForCoAPServer(port: port)
        return (server, port)
    }

    static func coap(_ arguments: [String], stdin: Data? = nil) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.product("coap"), arguments, stdin: stdin, timeout: 30)
    }

    // MARK: our CLI → coap-server-notls

    @Test func discoverListsTheLibcoapServersResources() async throws {
        let (server, port) = try await Self.libcoapServer()
        defer { server.stop() }
        let r = try await Self.coap(["discover", "coap://127.0.0.1:\(port)/"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("</time>") && $0.contains("obs") }, "\(r)")
        #expect(lines.contains { $0.hasPrefix("</example_data>") }, "\(r)")
        let filtered = try await Self.coap(["discover", "--rt", "ticks", "coap://127.0.0.1:\(port)/"])
        #expect(filtered.stdout.split(separator: "\n").map { String($0.prefix(7)) } == ["</time>"], "\(filtered)")
    }

    @Test func getPutAndFailuresHaveHonestExitCodes() async throws {
        let (server, port) = try await Self.libcoapServer()
        defer { server.stop() }
        let base = "coap://127.0.0.1:\(port)"
        let put = try await Self.coap(["put", "--payload", "hello from swift", "\(base)/example_data"])
        #expect(put.status == 0, "\(put)")
        let get = try await Self.coap(["get", "-v", "\(base)/example_data"])
        #expect(get.status == 0 && get.stdout == "hello from swift", "\(get)")
        #expect(get.stderr.contains("2.05 Content"), "-v shows the code on stderr")
        let missing = try await Self.coap(["get", "\(base)/no-such-resource"])
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("4.04"), "\(missing)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "one clear line: \(missing.stderr)")
        let unreachable = try await Self.coap(["get", "--timeout", "2", "coap://127.0.0.1:\(TestSupport.freeUDPPort())/x"])
        #expect(unreachable.status == 4 || unreachable.status == 3, "\(unreachable)")
        #expect(unreachable.stderr.hasPrefix("coap get: "), "\(unreachable)")
        let badURI = try await Self.coap(["get", "http://x/"])
        #expect(badURI.status != 0 && badURI.stderr.contains("scheme"), "\(badURI)")
    }

    @Test func blockwiseUploadAndDownloadWith64ByteBlocks() async throws {
        let (server, port) = try await Self.libcoapServer()
        defer { server.stop() }
        let body = String((0..<4096).map { Character(UnicodeScalar(UInt8(65 + $0 % 26))) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coap-block-\(port).txt")
        try Data(body.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let uri = "coap://127.0.0.1:\(port)/example_data"
        let put = try await Self.coap(["put", "--block-size", "64", "--payload-file", file.path, uri])
        #expect(put.status == 0, "\(put)")
        let get = try await Self.coap(["get", "--block-size", "64", "-v", uri])
        #expect(get.status == 0, "\(get)")
        #expect(get.stdout == body, "the 4 kB body came back whole")
    }

    @Test func observeTheLibcoapClock() async throws {
        let (server, port) = try await Self.libcoapServer()
        defer { server.stop() }
        let r = try await Self.coap(["observe", "--count", "2", "coap://127.0.0.1:\(port)/time"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: "\n").count == 2, "\(r)")
    }

    // MARK: coap-client-notls → our server

    static func libcoapClient(_ arguments: [String]) async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.tool("coap-client-notls"), ["-v", "0", "-B", "10"] + arguments, timeout: 30)
    }

    @Test func libcoapClientGetPutPostDeleteAgainstOurServer() async throws {
        let fixture = try FixtureServer()
        defer { fixture.stop() }
        let base = fixture.base
        var r = try await Self.libcoapClient(["-m", "get", "\(base)/hello"])
        #expect(r.trimmedStdout == "hello", "\(r)")
        r = try await Self.libcoapClient(["-m", "put", "-e", "stored", "\(base)/store/x"])
        #expect(fixture.store.get()["x"] == Array("stored".utf8), "\(r)")
        r = try await Self.libcoapClient(["-m", "get", "\(base)/store/x"])
        #expect(r.trimmedStdout == "stored", "\(r)")
        r = try await Self.libcoapClient(["-m", "post", "-e", "echo me", "\(base)/echo"])
        #expect(r.trimmedStdout == "echo me", "\(r)")
        r = try await Self.libcoapClient(["-m", "delete", "\(base)/store/x"])
        #expect(fixture.store.get()["x"] == nil, "\(r)")
        r = try await Self.libcoapClient(["-m", "get", "\(base)/no/where"])
        #expect(r.stderr.contains("4.04") || r.stdout.contains("4.04"), "\(r)")
        r = try await Self.libcoapClient(["-m", "get", "\(base)/slow"])
        #expect(r.trimmedStdout == "slow", "a separate response reaches libcoap's client: \(r)")
        r = try await Self.libcoapClient(["-N", "-m", "get", "\(base)/hello"])
        #expect(r.trimmedStdout == "hello", "NON: \(r)")
    }

    @Test func libcoapClientBlockwiseWith64ByteBlocks() async throws {
        let fixture = try FixtureServer()
        defer { fixture.stop() }
        let body = String((0..<4096).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coap-block-up-\(fixture.port).txt")
        try Data(body.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await Self.libcoapClient(["-m", "put", "-b", "64", "-f", file.path, "\(fixture.base)/store/blk"])
        #expect(fixture.store.get()["blk"] == Array(body.utf8), "Block1 upload in 64-byte blocks arrived whole")
        let r = try await Self.libcoapClient(["-m", "get", "-b", "64", "\(fixture.base)/store/blk"])
        #expect(r.trimmedStdout == body, "Block2 download in 64-byte blocks came back whole (\(r.stdout.count) characters)")
    }

    @Test func libcoapClientObservesOurServer() async throws {
        let fixture = try FixtureServer()
        defer { fixture.stop() }
        // Keep changing for the whole observation, however late the client registers. A thread of
        // its own: on two cores the cooperative pool is shared with every other test.
        let stop = TestLocked(false)
        let ticker = Thread {
            for i in 1...40 where !stop.get() {
                usleep(150_000)
                fixture.counter.set(i)
                fixture.server.notifyObservers(of: "/counter")
            }
        }
        ticker.start()
        defer { stop.set(true) }
        let r = try await Self.libcoapClient(["-w", "-s", "3", "\(fixture.base)/counter"])
        let values = r.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(values.count >= 4, "registration plus notifications: \(r)")
        #expect(values == values.sorted(), "\(r)")
    }

    @Test func libcoapClientDiscoversOurResources() async throws {
        let fixture = try FixtureServer()
        defer { fixture.stop() }
        let r = try await Self.libcoapClient(["-m", "get", "\(fixture.base)/.well-known/core"])
        let links = LinkFormat.split(r.stdout)
        #expect(links.contains { $0.hasPrefix("</sensors/temp>") && $0.contains("rt=\"temperature-c\"") }, "\(r)")
        #expect(links.contains { $0.hasPrefix("</counter>") && $0.contains("obs") }, "\(r)")
        let filtered = try await Self.libcoapClient(["-m", "get", "\(fixture.base)/.well-known/core?rt=humidity"])
        #expect(LinkFormat.split(filtered.stdout).compactMap(LinkFormat.target(of:)) == ["/sensors/humidity"], "\(filtered)")
    }
}
