package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program started by ``TestSupport/start(_:_:stdin:environment:removing:)``: a ``ChildProcess``
/// whose stdout and stderr go to temporary files, collected by ``wait(timeout:)``.
///
/// Output goes to files, not pipes, so nothing has to read while the program runs, and the wait
/// polls instead of blocking a thread of the cooperative pool. A program that outlives its time
/// limit is killed (its whole process group) and reaped, so no test leaves a process behind.
package final class RunningProcess: Sendable {
    package let child: ChildProcess
    /// The file its stdout goes to, readable while it runs.
    package let outPath: String
    package let errPath: String
    private let inPath: String?

    package var pid: pid_t { child.pid }

    init(_ path: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, removing: [String]) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("securecoap-child-\(UUID().uuidString)").path
        outPath = base + ".out"
        errPath = base + ".err"
        inPath = stdin == nil ? nil : base + ".in"
        if let stdin, let inPath { try stdin.write(to: URL(fileURLWithPath: inPath)) }
        let input = inPath.map { open($0, O_RDONLY | O_CLOEXEC) }
        let output = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let errors = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { for fd in [input ?? -1, output, errors] where fd >= 0 { close(fd) } }
        guard input.map({ $0 >= 0 }) ?? true, output >= 0, errors >= 0 else {
            throw TestFailure("cannot create the output files of \(path) in \(base)*")
        }
        child = try ChildProcess(
            path, arguments, stdin: input, stdout: output, stderr: errors, environment: environment, removing: removing)
    }

    /// Waits for the program to exit (killing it after `timeout` seconds) and collects its output.
    package func wait(timeout: Double = 60) async -> TestSupport.ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while !child.poll() {
            if Date() > deadline {
                timedOut = true
                child.signal(SIGKILL)
                break
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let status = child.waitBlocking()
        let stdout = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let stderr = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return TestSupport.ProcessResult(
            status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            stdoutBytes: stdout, timedOut: timedOut)
    }

    deinit {
        if !child.poll() {
            child.signal(SIGKILL)
            _ = child.waitBlocking()
        }
        for path in [outPath, errPath] + (inPath.map { [$0] } ?? []) { unlink(path) }
    }
}

extension TestSupport {
    /// Starts `path` with `arguments` (`stdin` fed from a file; none: /dev/null); collect it with
    /// ``RunningProcess/wait(timeout:)``. The environment is this process's, with `environment`
    /// added and the variables in `removing` taken out.
    package static func start(
        _ path: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, removing: [String] = []
    ) throws -> RunningProcess {
        try RunningProcess(path, arguments, stdin: stdin, environment: environment, removing: removing)
    }

    /// Runs `path` with `arguments` to completion, killed after `timeout` seconds.
    package static func run(
        _ path: String, _ arguments: [String], stdin: Data? = nil, timeout: Double = 30, environment: [String: String]? = nil,
        removing: [String] = []
    ) async throws -> ProcessResult {
        try await start(path, arguments, stdin: stdin, environment: environment, removing: removing).wait(timeout: timeout)
    }
}
