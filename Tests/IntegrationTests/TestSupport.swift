import Foundation
import Testing
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
        var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// Runs a process to completion, killing it after `timeout` seconds.
    static func run(_ path: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 30, environment: [String: String]? = nil) async throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let timedOut = Locked(false)
        let pid = process.processIdentifier
        let watchdog = Task.detached {
            try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            timedOut.set(true)
            kill(pid, SIGKILL)
        }
        // Read both pipes off the cooperative pool.
        let (stdoutData, stderrData) = await withCheckedContinuation { (c: CheckedContinuation<(Data, Data), Never>) in
            DispatchQueue.global().async {
                let group = DispatchGroup()
                let e = Locked(Data())
                group.enter()
                DispatchQueue.global().async { e.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
                let o = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                c.resume(returning: (o, e.get()))
            }
        }
        watchdog.cancel()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self),
            stdoutBytes: stdoutData,
            timedOut: timedOut.get())
    }

    /// Starts a background process (a peer server) that the test must stop with `stop()`.
    final class Background: @unchecked Sendable {
        // @unchecked: Process is used from the test's task only; stop() is idempotent.
        let process = Process()
        let output = Pipe()

        init(_ path: String, _ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = output
            try process.run()
        }

        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                process.waitUntilExit()
            }
        }

        deinit { stop() }
    }

    /// Waits until a UDP port on 127.0.0.1 answers a CoAP ping (an empty CON gets an RST).
    static func waitForCoAPServer(port: UInt16, timeout: Double = 5) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if coapPing(port: port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no CoAP server answered on 127.0.0.1:\(port) within \(timeout) s")
    }

    private static func coapPing(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ping: [UInt8] = [0x40, 0x00, 0x12, 0x34]  // CON, empty, MID 0x1234
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, ping, ping.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == 4 else { return false }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        return n >= 4 && buf[0] & 0x30 == 0x30  // RST
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
