#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX file helpers for the files a library keeps: bounded reads, durable atomic replacement
/// (write a temporary file, fsync it, rename it over the target, fsync the directory), exclusive
/// creation of private files, directories, listing and removal. Every failure is a ``FileError``.
///
/// `what` names a file's role in messages ("cannot open sequence number file /x: ..."); without
/// it the path alone is named. These calls block: run them off Swift's cooperative pool when they
/// may be slow (a large directory, a slow disk).
package enum DurableFile {
    /// Reads a whole file of at most `maxBytes`; `nil` when it does not exist.
    ///
    /// - Parameters:
    ///   - wipe: overwrite the read buffer before returning or throwing (`explicit_bzero`), for
    ///     secrets; the returned copy is then the caller's to wipe.
    ///   - requirePrivate: refuse a file that is not a regular file, or that group or others may
    ///     access (mode 0600 or stricter passes), checked on the opened file.
    package static func contents(
        of path: String, maxBytes: Int, what: String? = nil, wipe: Bool = false, requirePrivate: Bool = false
    ) throws(FileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw FileError(action: "cannot open", path: path, what: what, code: code)
        }
        defer { _ = close(fd) }
        if requirePrivate { try checkPrivate(fd, path: path, what: what) }
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        defer { if wipe { buffer.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) } } }
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileError(action: "cannot read", path: path, what: what, code: code)
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else {
            throw FileError(.tooLarge, path: path, message: "\(FileError.subject(path, what)) is larger than \(maxBytes) bytes")
        }
        return Array(buffer[0..<filled])
    }

    /// Refuses an open file that is not regular, or that group or others may access.
    private static func checkPrivate(_ fd: Int32, path: String, what: String?) throws(FileError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(action: "cannot stat", path: path, what: what, code: errno) }
        let subject = FileError.subject(path, what)
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileError(.notRegularFile, path: path, message: "\(subject) is not a regular file")
        }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw FileError(
                .notPrivate, path: path,
                message: "\(subject) is accessible by group or others (mode \(String(permissions, radix: 8))); run chmod 600 \(path)")
        }
    }

    /// Replaces `path` with `contents` so that after a crash it holds either the old or the new
    /// contents, and once this returns the new contents survive a power loss. The temporary file
    /// (`path` + ".tmp", mode 0600) is removed on failure.
    package static func replace(_ path: String, with contents: [UInt8], what: String? = nil) throws(FileError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(action: "cannot create", path: temporary, what: what, code: errno) }
        func abandon(_ action: String, code: Int32, closing: Bool = true) -> FileError {
            if closing { _ = close(fd) }
            _ = unlink(temporary)
            return FileError(action: action, path: temporary, what: what, code: code)
        }
        if let code = writeAll(fd, contents) { throw abandon("cannot write", code: code) }
        guard fsync(fd) == 0 else { throw abandon("cannot fsync", code: errno) }
        guard close(fd) == 0 else { throw abandon("cannot close", code: errno, closing: false) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw FileError(action: "cannot rename \(temporary) to", path: path, code: code)
        }
        try syncDirectory(of: path, what: what)
    }

    /// Creates `path` with mode 0600 holding `contents`, and fsyncs it and its directory. Never
    /// overwrites: an existing file fails with errno `EEXIST` ("cannot create ..."). On a failure
    /// after the file was created, it is removed ("cannot write ...").
    package static func createExclusive(_ path: String, contents: [UInt8]) throws(FileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(action: "cannot create", path: path, code: errno) }
        // The mode given to open is cut by the umask; a secret file is 0600 whatever the umask.
        var failure: Int32? = fchmod(fd, 0o600) == 0 ? nil : errno
        if failure == nil { failure = writeAll(fd, contents) }
        if failure == nil, fsync(fd) != 0 { failure = errno }
        _ = close(fd)
        if let failure {
            _ = unlink(path)
            throw FileError(action: "cannot write", path: path, code: failure)
        }
        // The new name too must survive a power cut (a master key file missing beside its
        // database would make the registry unreadable).
        try syncDirectory(of: path)
    }

    /// Writes all of `bytes`; the errno of a failed write, or nil.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                return code
            }
            written += n
        }
        return nil
    }

    /// Creates `path` (and missing parents) with mode 0700. An existing directory is fine.
    package static func makeDirectory(_ path: String) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 {
                let code = errno
                if code != EEXIST { throw FileError(action: "cannot create directory", path: current, code: code) }
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw FileError(.notADirectory, path: path, message: "\(path) is not a directory")
        }
    }

    /// The names in a directory (without `.` and `..`).
    package static func list(_ directory: String) throws(FileError) -> [String] {
        guard let dir = opendir(directory) else { throw FileError(action: "cannot list", path: directory, code: errno) }
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

    /// Removes files of `directory`; a file already gone is fine. Syncs the directory once at the end.
    package static func remove(_ paths: [String], directory: String) throws(FileError) {
        for path in paths where unlink(path) != 0 {
            let code = errno
            if code != ENOENT { throw FileError(action: "cannot remove", path: path, code: code) }
        }
        if !paths.isEmpty { try sync(directory: directory) }
    }

    /// Fsyncs the directory holding `path`, so that a rename or creation in it survives a power loss.
    package static func syncDirectory(of path: String, what: String? = nil) throws(FileError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        try sync(directory: directory, of: what)
    }

    /// Fsyncs `directory`. With `what` (the role of a file in it), messages say "directory of `what`".
    package static func sync(directory: String, of what: String? = nil) throws(FileError) {
        let subject = what.map { "directory of \($0)" } ?? "directory"
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(action: "cannot open", path: directory, what: subject, code: errno) }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw FileError(action: "cannot fsync", path: directory, what: subject, code: errno) }
    }
}
