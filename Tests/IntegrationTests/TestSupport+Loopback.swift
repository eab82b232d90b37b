import CoAP
import Foundation
import Logging
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that start processes and servers on loopback.
extension TestSupport {
    /// A UDP port that was free a moment ago on 127.0.0.1.
    static func freeUDPPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// A background process (a peer server) that the test stops with `stop()`; its output goes to
    /// a log file that failures can quote.
    final class Background: Sendable {
        let child: ChildProcess
        let logPath: String

        init(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws {
            logPath = FileManager.default.temporaryDirectory
                .appendingPathComponent("securecoap-\(UUID().uuidString).log").path
            let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else { throw TestFailure("cannot create \(logPath)") }
            defer { close(fd) }
            child = try ChildProcess(path, arguments, stdout: fd, stderr: fd, environment: environment)
        }

        var isRunning: Bool { !child.poll() }

        /// What the process has written so far.
        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        /// SIGTERM, then SIGKILL after a grace period; idempotent.
        func stop() { child.stop() }

        deinit {
            child.stop()
            unlink(logPath)
        }
    }

    /// Waits until a UDP port on 127.0.0.1 answers a CoAP ping (an empty CON gets an RST). Never
    /// blocks a thread: the cooperative pool is shared with every other test.
    static func waitForCoAPServer(port: UInt16, timeout: Double = 20) async throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let deadline = Date().addingTimeInterval(TestSupport.scaled(timeout))
        let ping: [UInt8] = [0x40, 0x00, 0x12, 0x34]  // CON, empty, MID 0x1234
        var buf = [UInt8](repeating: 0, count: 64)
        while Date() < deadline {
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, ping, ping.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            while true {
                let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n < 0 { break }
                if n >= 4 && buf[0] & 0x30 == 0x30 { return }  // RST
            }
        }
        throw TestFailure("no CoAP server answered on 127.0.0.1:\(port) within \(timeout) s")
    }
}

extension TestSupport {
    /// A UDP port P on 127.0.0.1 such that P and P + 1 were both free a moment ago (libcoap's
    /// servers listen for DTLS on P + 1).
    static func freeUDPPortPair() -> UInt16 {
        for _ in 0..<50 {
            let port = freeUDPPort()
            guard port < 65535 else { continue }
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = (port + 1).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc == 0 { return port }
        }
        return freeUDPPort()
    }
}

extension TestSupport {
    /// A handler that answers `text` after `delay` microseconds, counting its calls in `calls`.
    static func answerLater(_ text: String, after delay: UInt32, calls: TestLocked<Int>? = nil) -> CoAPRouter.Handler {
        { _ in
            calls?.update { $0 += 1 }
            try await Task.sleep(for: .microseconds(delay))
            return CoAPResponse(text: text)
        }
    }

    /// A plain CoAP server on 127.0.0.1, a free port, serving `router`, started (quiet logs).
    static func startServer(_ router: CoAPRouter) throws -> CoAPServer {
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = try CoAPServer(configuration: .init(port: 0), router: router, logger: logger)
        try server.start()
        return server
    }
}
