#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a file (`flock`), held until ``release()`` or the value goes away; the
/// kernel drops it when the process dies, even by SIGKILL. For "one process at a time" on a data
/// directory: two gateways on one readings store, two nodes on one sequence-number file.
///
/// `@unchecked Sendable`: the descriptor is set once in `init`; `release()` may run on any thread
/// and closes it once, under `mutex`.
package final class FileLock: @unchecked Sendable {
    /// Why a lock was not taken.
    package struct Failure: Error, CustomStringConvertible {
        /// Another process holds the lock.
        package var isHeldElsewhere: Bool
        /// What that process wrote into the lock file when it took the lock, if anything.
        package var holder: String?
        /// The errno of the call that failed (`EWOULDBLOCK` when held elsewhere).
        package var code: Int32
        package var description: String
    }

    private var fd: Int32
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    package let path: String

    /// Takes the lock on `path` (created, mode 0600, if missing) without waiting, and writes
    /// `note` (who holds it) into the file.
    package init(path: String, note: String? = nil) throws(Failure) {
        self.path = path
        pthread_mutex_init(mutex, nil)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw Failure(isHeldElsewhere: false, holder: nil, code: code, description: "cannot open \(path): \(String(cString: strerror(code)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let busy = code == EWOULDBLOCK
            let reason = String(cString: strerror(code))
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingWhitespace() : nil
            _ = close(fd)
            fd = -1
            throw Failure(isHeldElsewhere: busy, holder: holder?.isEmpty == false ? holder : nil, code: code,
                          description: busy ? "\(path) is locked by another process" : "cannot lock \(path): \(reason)")
        }
        if let note {
            _ = ftruncate(fd, 0)
            let bytes = Array((note + "\n").utf8)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    /// Releases the lock (idempotent).
    package func release() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard fd >= 0 else { return }
        _ = close(fd)
        fd = -1
    }

    deinit {
        release()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
