public import LibCrypto
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Files that hold secrets: created with mode 0600 and never overwritten, read with a size bound,
/// and (for the master key) refused when group or others have any access.
public enum SecretFile {
    /// Creates `path` with mode 0600 holding `contents`, and syncs it to disk. Refuses to overwrite
    /// an existing file (``DeviceRegistryError/Code/refused``).
    public static func create(at path: String, contents: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST {
                throw DeviceRegistryError(.refused, "\(path) already exists; refusing to overwrite it")
            }
            throw DeviceRegistryError(.storage, "cannot create \(path): \(describe(code))")
        }
        var ok = fchmod(fd, 0o600) == 0
        var written = 0
        while ok && written < contents.count {
            let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                ok = false
            } else {
                written += n
            }
        }
        let failure = errno
        ok = ok && fsync(fd) == 0
        _ = close(fd)
        guard ok else {
            unlink(path)
            throw DeviceRegistryError(.storage, "cannot write \(path): \(describe(failure))")
        }
    }

    /// Reads at most `maxBytes` of `path`. With `requirePrivate`, refuses a file that is not a
    /// regular file or that group or others may access (mode must be 0600 or stricter).
    /// `what` names the file's role in messages.
    public static func read(_ path: String, maxBytes: Int, what: String, requirePrivate: Bool = false) throws -> SecureBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw DeviceRegistryError(.notFound, "\(what) \(path) does not exist")
            }
            throw DeviceRegistryError(.storage, "cannot open \(what) \(path): \(describe(code))")
        }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DeviceRegistryError(.storage, "cannot stat \(what) \(path): \(describe(errno))")
        }
        if requirePrivate {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw DeviceRegistryError(.masterKey, "\(what) \(path) is not a regular file")
            }
            let permissions = info.st_mode & 0o777
            guard permissions & 0o077 == 0 else {
                throw DeviceRegistryError(
                    .masterKey,
                    "\(what) \(path) is accessible by group or others (mode \(String(permissions, radix: 8))); run chmod 600 \(path)")
            }
        }
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        defer { buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) } }
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { POSIXCalls.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DeviceRegistryError(.storage, "cannot read \(what) \(path): \(describe(errno))")
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else {
            throw DeviceRegistryError(.invalidArgument, "\(what) \(path) is larger than \(maxBytes) bytes")
        }
        return SecureBytes(buffer[0..<filled])
    }

    /// Parses hex text of exactly `length` bytes, optionally followed by one newline (the sealing
    /// secret file format: 64 hex digits and a newline). `what` names the source in messages.
    public static func parseHex(_ text: SecureBytes, length: Int, what: String) throws -> SecureBytes {
        try text.withUnsafeBytes { raw in
            var end = raw.count
            if end > 0 && raw[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end > 0 && raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            guard end == 2 * length else {
                throw DeviceRegistryError(
                    .invalidArgument, "\(what) must hold \(2 * length) hex digits and an optional newline (found \(end) characters)")
            }
            var bad: Int? = nil
            let bytes = SecureBytes(count: length) { out in
                for i in 0..<length {
                    guard let high = hexValue(raw[2 * i]), let low = hexValue(raw[2 * i + 1]) else { bad = 2 * i; return }
                    out[i] = high << 4 | low
                }
            }
            if let bad {
                throw DeviceRegistryError(.invalidArgument, "\(what) has a non-hex character near position \(bad + 1)")
            }
            return bytes
        }
    }

    /// Reads a secret file of `length` bytes written as hex (see ``parseHex(_:length:what:)``).
    public static func readHex(_ path: String, length: Int, what: String) throws -> SecureBytes {
        try parseHex(read(path, maxBytes: 4 * length + 16, what: what), length: length, what: "\(what) \(path)")
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
