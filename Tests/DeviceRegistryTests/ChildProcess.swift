import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs (the built `coap-registry`, the `sqlite3` shell) with `posix_spawn`: a clean
/// signal mask, stdout and stderr captured in temporary files, and a wait that polls instead of
/// blocking a cooperative thread. A program that outlives its timeout is killed and reaped, so no
/// test leaves a process behind.
struct ChildProcess {
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))" }
    }

    /// The built `coap-registry` next to the test bundle (`swift build --build-tests` builds it).
    static func registryTool() throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("coap-registry").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fallback = root.appendingPathComponent(".build/debug/coap-registry").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw TestFailure("coap-registry is not built; run `swift build --build-tests`")
        }
        return fallback
    }

    /// The sqlite3 shell, used to tamper with a database the way an intruder would.
    static func sqliteShell() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/sqlite3") {
            return dir + "/sqlite3"
        }
        throw TestFailure("the sqlite3 shell is missing: install the Debian package sqlite3")
    }

    /// Runs `path` with `arguments` to completion (killed after `timeout` seconds).
    static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
        stdin: String? = nil, timeout: Double = 60
    ) async throws -> Result {
        let started = try start(path, arguments, environment: environment, removing: removing, stdin: stdin)
        return try await started.wait(timeout: timeout)
    }

    /// A started child; `wait` collects it.
    struct Started {
        let pid: pid_t
        let outPath: String
        let errPath: String
        let inPath: String?

        func wait(timeout: Double = 60) async throws -> Result {
            defer { for path in [outPath, errPath] + (inPath.map { [$0] } ?? []) { unlink(path) } }
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            var timedOut = false
            while true {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid { break }
                if reaped == -1 && errno != EINTR { throw TestFailure("waitpid failed: \(String(cString: strerror(errno)))") }
                if Date() > deadline {
                    timedOut = true
                    kill(pid, SIGKILL)
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                    break
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            let signal = status & 0x7f
            let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            return Result(status: code, stdout: stdout, stderr: stderr, timedOut: timedOut)
        }
    }

    static func start(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [], stdin: String? = nil
    ) throws -> Started {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("registry-child-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        var inPath: String? = nil
        if let stdin {
            inPath = base + ".in"
            try stdin.write(toFile: inPath!, atomically: false, encoding: .utf8)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var variables = ProcessInfo.processInfo.environment
        for name in ["SECURECOAP_MASTER_KEY_FILE", "SECURECOAP_REGISTRY_DB"] + removing { variables[name] = nil }
        variables.merge(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw TestFailure("cannot start \(path): \(String(cString: strerror(rc)))") }
        return Started(pid: pid, outPath: outPath, errPath: errPath, inPath: inPath)
    }

    /// Runs SQL on a database with the sqlite3 shell; fails the test if the shell fails.
    static func sqlite(_ database: String, _ sql: String) async throws -> String {
        let result = try await run(try sqliteShell(), [database, sql])
        guard result.status == 0 else { throw TestFailure("sqlite3 failed: \(result)") }
        return result.stdout
    }
}
