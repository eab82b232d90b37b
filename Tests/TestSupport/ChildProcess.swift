import Foundation
#if canImport(Glibc)
package import Glibc
#endif

/// A child process spawned with `posix_spawn`, in a process group of its own, with every signal
/// unblocked and at its default action.
///
/// Foundation's `Process` is not used for peers: children inherit the signal mask of the spawning
/// thread, and Swift's cooperative threads block SIGTERM, so a peer started from a test would ignore
/// the signal meant to stop it (and `waitUntilExit()` busy-waits off the main thread).
///
/// `@unchecked Sendable`: `pid` is immutable; `exitStatus` is guarded by `lock`.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Spawns `path` with `arguments`. Each standard stream is an fd of the caller's (duplicated
    /// into the child) or nil for /dev/null. The child's environment is this process's, with
    /// `environment` added over it and the variables named in `removing` taken out.
    package init(
        _ path: String, _ arguments: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil,
        environment: [String: String]? = nil, removing: [String] = []
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target, flags) in [(stdin, Int32(0), O_RDONLY), (stdout, 1, O_WRONLY), (stderr, 2, O_WRONLY)] {
            if let fd {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
            }
        }
        // Nothing else of ours leaks into the child: not the other ends of its pipes (it would
        // never see end-of-input), not other tests' sockets. (glibc's addclosefrom_np is not
        // visible to Swift; close what /proc lists instead.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var variables = ProcessInfo.processInfo.environment
        for name in removing { variables[name] = nil }
        variables.merge(environment ?? [:]) { $1 }
        let env = variables.map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw TestFailure("cannot start \(path): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Reaps the child if it has exited; true once it has.
    package func poll() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if exitStatus != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        exitStatus = Self.decode(status)
        return true
    }

    /// Blocks the calling thread until the child exits; call it off the cooperative pool.
    package func waitBlocking() -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        exitStatus = Self.decode(status)
        return exitStatus!
    }

    /// Signals the child's whole process group.
    package func signal(_ signal: Int32) { kill(-pid, signal) }

    /// SIGTERM, up to `grace` seconds to exit, then SIGKILL. Idempotent.
    package func stop(grace: Double = 2) {
        if poll() { return }
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if poll() { return }
            usleep(10_000)
        }
        signal(SIGKILL)
        _ = waitBlocking()
    }

    /// The exit code, or 128 + the signal number when a signal ended it.
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
