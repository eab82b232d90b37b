#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory (`flock` on its `lock` file), held while a reporter
/// uses it: two processes on one directory would hand out the same sequence numbers (nonce
/// reuse) and send the same queued readings. The kernel drops the lock when the process dies,
/// even by SIGKILL.
final class DirectoryLock {
    private var fd: Int32

    /// Locks `directory` (created if missing) or throws ``NodeError/Code/directoryInUse``.
    init(directory: String) throws {
        try DurableFiles.makeDirectory(directory)
        let path = directory + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFiles.failure("cannot open \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let error = busy
                ? NodeError(.directoryInUse, "\(directory) is in use by another node (reporter or process); one at a time")
                : DurableFiles.failure("cannot lock \(path)")
            _ = close(fd)
            throw error
        }
    }

    /// Releases the lock (idempotent).
    func release() {
        guard fd >= 0 else { return }
        _ = close(fd)
        fd = -1
    }

    deinit { release() }
}
