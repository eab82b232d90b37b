internal import LibCrypto
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Small POSIX file helpers: bounded reads, and durable atomic replacement
/// (write a temporary file, fsync it, rename it over the target, fsync the directory).
enum DurableFile {
    /// Reads at most `maxBytes` bytes. Returns `nil` if the file does not exist; throws if it is
    /// larger than `maxBytes` or cannot be read. `what` names the file's role in error messages.
    static func contents(ofFile path: String, maxBytes: Int, what: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw SealingError(.storageFailure, "cannot open \(what) \(path): \(errnoDescription())")
        }
        defer { _ = close(fd) }
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) }
                throw SealingError(.storageFailure, "cannot read \(what) \(path): \(errnoDescription())")
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else {
            buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) }
            throw SealingError(.storageFailure, "\(what) \(path) is larger than \(maxBytes) bytes")
        }
        let result = Array(buffer[0..<filled])
        buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) }
        return result
    }

    /// Replaces `path` with `contents` so that after a crash the file holds either the old or the
    /// new contents, and once this returns the new contents survive a power loss.
    static func replace(path: String, contents: [UInt8], what: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SealingError(.storageFailure, "cannot create \(what) \(temporary): \(errnoDescription())")
        }
        var written = 0
        while written < contents.count {
            let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errnoDescription()
                _ = close(fd)
                throw SealingError(.storageFailure, "cannot write \(what) \(temporary): \(reason)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let reason = errnoDescription()
            _ = close(fd)
            throw SealingError(.storageFailure, "cannot fsync \(what) \(temporary): \(reason)")
        }
        guard close(fd) == 0 else {
            throw SealingError(.storageFailure, "cannot close \(what) \(temporary): \(errnoDescription())")
        }
        guard rename(temporary, path) == 0 else {
            throw SealingError(.storageFailure, "cannot rename \(temporary) to \(path): \(errnoDescription())")
        }
        try syncDirectory(of: path, what: what)
    }

    private static func syncDirectory(of path: String, what: String) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SealingError(.storageFailure, "cannot open directory of \(what) \(directory): \(errnoDescription())")
        }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else {
            throw SealingError(.storageFailure, "cannot fsync directory of \(what) \(directory): \(errnoDescription())")
        }
    }
}

func errnoDescription() -> String {
    String(cString: strerror(errno))
}
