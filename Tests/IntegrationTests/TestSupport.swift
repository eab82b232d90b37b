import CoAP
import Foundation
import Logging
import Testing
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for tests that start processes on loopback.
enum TestSupport {
    /// The package root (Tests/IntegrationTests/ is two levels down).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A product built next to the test bundle (`swift build --build-tests` builds them all).
    static func product(_ name: String) throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let fallback = packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw TestFailure("product '\(name)' is not built; run `swift build --build-tests` (make test does)")
        }
        return fallback
    }

    /// A system tool such as coap-client-notls, or a clear failure naming the package to install.
    static func tool(_ name: String, package: String = "libcoap3-bin") throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestFailure("\(name) is missing: install \(package) (make test does)")
    }

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

    struct ProcessResult: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutBytes: Data
        var timedOut: Bool
        /// stdout without the newline libcoap's client appends to a body.
        var trimmedStdout: String { stdout.hasSuffix("\n") ? String(stdout.dropLast()) : stdout }
        var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout.prefix(500))\nstderr: \(stderr.prefix(1000))" }
    }

    /// Runs a process to completion, killing it (and its process group) after `timeout` seconds.
    static func run(_ path: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 30, environment: [String: String]? = nil) async throws -> ProcessResult {
        let out = Pipe(), err = Pipe(), input = Pipe()
        let child = try ChildProcess(
            path, arguments, stdin: input.fileHandleForReading.fileDescriptor,
            stdout: out.fileHandleForWriting.fileDescriptor, stderr: err.fileHandleForWriting.fileDescriptor,
            environment: environment)
        // Close the parent's copies so EOF arrives when the child exits.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        try? input.fileHandleForReading.close()
        let timedOut = Locked(false)
        let watchdog = Task.detached {
            try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            timedOut.set(true)
            child.signal(SIGKILL)
        }
        // Feed stdin, read both pipes and reap the child off the cooperative pool.
        let (status, stdoutData, stderrData) = await withCheckedContinuation { (c: CheckedContinuation<(Int32, Data, Data), Never>) in
            DispatchQueue.global().async {
                let group = DispatchGroup()
                let e = Locked(Data())
                group.enter()
                DispatchQueue.global().async { e.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
                group.enter()
                DispatchQueue.global().async {
                    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
                    try? input.fileHandleForWriting.close()
                    group.leave()
                }
                let o = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                c.resume(returning: (child.waitBlocking(), o, e.get()))
            }
        }
        watchdog.cancel()
        return ProcessResult(
            status: status,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self),
            stdoutBytes: stdoutData,
            timedOut: timedOut.get())
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
        let deadline = Date().addingTimeInterval(timeout)
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

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A tiny locked box for test bookkeeping.
final class Locked<T>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    @discardableResult
    func update<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
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

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass.
    static func eventually(timeout: Double = 15, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

extension TestSupport {
    /// A deferrable handler that answers `text` from another thread after `delay` microseconds,
    /// counting its calls in `calls`.
    static func answerLater(_ text: String, after delay: UInt32, calls: Locked<Int>? = nil) -> CoAPRouter.DeferrableHandler {
        { _, later in
            calls?.update { $0 += 1 }
            Thread.detachNewThread {
                usleep(delay)
                later.send(CoAPResponse(text: text))
            }
            return nil
        }
    }

    /// A plain CoAP server on 127.0.0.1, a free port, serving `router`, started (quiet logs).
    /// Runs blocking work (sockets, poll) on a thread of its own: the cooperative pool is shared
    /// with every other test, and a pool thread blocked in `poll` stalls them.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    static func startServer(_ router: CoAPRouter) throws -> CoAPServer {
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = try CoAPServer(configuration: .init(port: 0), router: router, logger: logger)
        try server.start()
        return server
    }
}
