#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX file helpers for the node's data directory: durable atomic replacement (write a
/// temporary file, fsync it, rename it over the target, fsync the directory), bounded reads,
/// listing and removal. Errors are ``NodeError/Code/storageFailure`` with the errno.
///
/// Called only from the reporter's own serial queue (see ``NodeExecutor``), never from the
/// cooperative thread pool.
enum DurableFiles {
    /// Creates `path` (and missing parents) with mode 0700. An existing directory is fine.
    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw failure("cannot create directory \(current)")
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw NodeError(.storageFailure, "\(path) is not a directory")
        }
    }

    /// Reads a whole file of at most `maxBytes`; `nil` when it does not exist.
    static func contents(of path: String, maxBytes: Int) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot open \(path)")
        }
        defer { _ = close(fd) }
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(path)")
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else {
            throw NodeError(.storageFailure, "\(path) is larger than \(maxBytes) bytes")
        }
        return Array(buffer[0..<filled])
    }

    /// Replaces `path` with `contents` so that after a crash it holds either the old or the new
    /// contents, and once this returns the new contents survive a power loss. On failure the
    /// temporary file is removed.
    static func replace(_ path: String, with contents: [UInt8], syncDirectory: Bool = true) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var written = 0
        while written < contents.count {
            let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure("cannot write \(temporary)")
                _ = close(fd)
                _ = unlink(temporary)
                throw error
            }
            written += n
        }
        if fsync(fd) != 0 {
            let error = failure("cannot fsync \(temporary)")
            _ = close(fd)
            _ = unlink(temporary)
            throw error
        }
        if close(fd) != 0 {
            let error = failure("cannot close \(temporary)")
            _ = unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let error = failure("cannot rename \(temporary) to \(path)")
            _ = unlink(temporary)
            throw error
        }
        if syncDirectory { try self.syncDirectory(of: path) }
    }

    /// Removes files; a file already gone is fine. Syncs the directory once at the end.
    static func remove(_ paths: [String], directory: String) throws {
        for path in paths where unlink(path) != 0 && errno != ENOENT {
            throw failure("cannot remove \(path)")
        }
        if !paths.isEmpty { try sync(directory: directory) }
    }

    /// The names in a directory (without `.` and `..`).
    static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw failure("cannot list \(directory)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func syncDirectory(of path: String) throws {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        try sync(directory: directory)
    }

    static func sync(directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open directory \(directory)") }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw failure("cannot fsync directory \(directory)") }
    }

    /// A storage failure carrying the current errno, worded for a user (ENOSPC says "disk full").
    static func failure(_ what: String) -> NodeError {
        let code = errno
        let reason = code == ENOSPC ? "no space left on the device (disk full)" : String(cString: strerror(code))
        return NodeError(.storageFailure, "\(what): \(reason)", underlying: code)
    }
}
