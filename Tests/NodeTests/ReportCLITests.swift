import CoAP
import Foundation
import Sealing
import SenML
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `coap-node report` as a user runs it: exit statuses, what reaches the gateway, a node killed
/// mid-run.
@Suite("coap-node report", .timeLimit(.minutes(1 * TestSupport.timeScale)))
struct ReportCLITests {
    /// Runs coap-node with `arguments`, feeding `input` on stdin; killed after 60 s.
    static func run(_ arguments: [String], input: String = "") async throws -> TestSupport.ProcessResult {
        try await TestSupport.run(try TestSupport.product("coap-node"), arguments, stdin: Data(input.utf8), timeout: 60)
    }

    static func arguments(_ fixture: NodeFixture, secure: Bool = false) -> [String] {
        var arguments = [
            "report", "--gateway", secure ? fixture.gateway.secureURI : fixture.gateway.plainURI, "--device", fixture.deviceID,
            "--sealing-secret-file", fixture.secretPath, "--kid", "01", "--queue", fixture.dataDirectory, "--timeout", "2",
        ]
        if secure { arguments += ["--psk-key-hex", fixture.gateway.pskKey.bytes.map { String(format: "%02x", $0) }.joined()] }
        return arguments
    }

    @Test("a reading over DTLS: exit 0, the gateway has it, -v shows the bytes per reading")
    func delivered() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.start()
        let result = try await Self.run(
            Self.arguments(fixture, secure: true) + ["--value", "temp=21.5,Cel", "--value", "hum=45,%RH", "--value", "pres=1013,hPa", "-v"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("B per reading"))
        #expect(result.stdout.contains("DTLS 29"))
        let received = try #require(fixture.gateway.readings.first)
        #expect(received.kid == [0x01])
        #expect(received.records.map(\.name) == ["temp", "hum", "pres"])
        #expect(received.records.map(\.value) == [21.5, 45, 1013])
    }

    @Test("gateway down: exit 2 with the count kept; the next run delivers them first, in order")
    func undeliveredThenDelivered() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        let down = try await Self.run(Self.arguments(fixture) + ["--stdin", "--wait", "0"], input: "n=1\nn=2\nn=3\n")
        #expect(down.status == 2)
        #expect(down.stderr.contains("3 readings undelivered (kept in \(fixture.dataDirectory)"), "\(down.stderr)")

        try fixture.gateway.start()
        let up = try await Self.run(Self.arguments(fixture) + ["--value", "n=4"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(fixture.gateway.records.compactMap(\.value) == [1, 2, 3, 4])
    }

    @Test("without --queue, undelivered readings are reported lost; bad input lines give 65; bad arguments 64")
    func exitStatuses() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var noQueue = Self.arguments(fixture)
        noQueue.removeSubrange(noQueue.firstIndex(of: "--queue")!...noQueue.firstIndex(of: "--queue")! + 1)
        let lost = try await Self.run(noQueue + ["--state-dir", fixture.dataDirectory, "--value", "n=1", "--wait", "0"])
        #expect(lost.status == 2)
        #expect(lost.stderr.contains("1 readings undelivered (lost: no --queue)"), "\(lost.stderr)")

        try fixture.gateway.start()
        let bad = try await Self.run(Self.arguments(fixture) + ["--stdin"], input: "n=1\nthis is not a reading\n[{\"n\":\"m\",\"v\":2}]\n")
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("line 2"))
        #expect(fixture.gateway.records.compactMap(\.value) == [1, 2])

        let usage = try await Self.run(["report", "--gateway", fixture.gateway.plainURI, "--device", "node-7", "--value", "n=1"])
        #expect(usage.status == 64)  // neither --kid nor --no-seal
        let noCredentials = try await Self.run(Self.arguments(fixture) + ["--gateway", fixture.gateway.secureURI, "--value", "n=1"])
        #expect(noCredentials.status == 64)
    }

    @Test("a node killed (SIGKILL) with a non-empty queue: the restarted node delivers everything once, in order")
    func killedAndRestarted() async throws {
        let fixture = try NodeFixture()
        defer { fixture.tearDown() }
        try fixture.gateway.reservePorts()
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let child = try ChildProcess(
            try TestSupport.product("coap-node"), Self.arguments(fixture) + ["--stdin", "--wait", "600"], stdin: fds[0])
        close(fds[0])
        defer { close(fds[1]); child.stop() }
        for i in 1...20 {
            let line = Array("n=\(i)\n".utf8)
            #expect(write(fds[1], line, line.count) == line.count)
        }
        let queueDirectory = fixture.dataDirectory + "/queue"
        let queued = await TestSupport.eventually(timeout: 30) {
            ((try? FileManager.default.contentsOfDirectory(atPath: queueDirectory)) ?? []).filter { $0.hasSuffix(".entry") }.count >= 20
        }
        child.signal(SIGKILL)
        #expect(await TestSupport.eventually(timeout: 30) { child.poll() })
        #expect(queued)
        #expect(child.waitBlocking() == 128 + SIGKILL)

        try fixture.gateway.start()
        let restarted = try await Self.run(Self.arguments(fixture) + ["--value", "n=21"])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(fixture.gateway.records.compactMap(\.value) == (1...21).map(Double.init))
        #expect(Set(fixture.gateway.readings.compactMap(\.sequenceNumber)).count == fixture.gateway.readings.count)
    }
}
