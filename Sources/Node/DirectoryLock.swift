import Platform
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory (its `lock` file), held while a reporter uses it: two
/// processes on one directory would hand out the same sequence numbers (nonce reuse) and send the
/// same queued readings.
final class DirectoryLock {
    private let lock: FileLock

    /// Locks `directory` (created if missing) or throws ``NodeError/Code/directoryInUse``.
    init(directory: String) throws {
        try NodeError.storage { try DurableFile.makeDirectory(directory) }
        do { lock = try FileLock(path: directory + "/lock") } catch {
            if error.isHeldElsewhere {
                throw NodeError(.directoryInUse, "\(directory) is in use by another node (reporter or process); one at a time")
            }
            throw NodeError(.storageFailure, error.description, underlying: error.code)
        }
    }

    /// Releases the lock (idempotent).
    func release() { lock.release() }
}
