public import LibCrypto
import Platform
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
        do throws(FileError) {
            try DurableFile.createExclusive(path, contents: contents)
        } catch {
            if error.code == EEXIST {
                throw DeviceRegistryError(.refused, "\(path) already exists; refusing to overwrite it")
            }
            throw DeviceRegistryError(.storage, error.message)
        }
    }

    /// Reads at most `maxBytes` of `path`. With `requirePrivate`, refuses a file that is not a
    /// regular file or that group or others may access (mode must be 0600 or stricter).
    /// `what` names the file's role in messages.
    public static func read(_ path: String, maxBytes: Int, what: String, requirePrivate: Bool = false) throws -> SecureBytes {
        let bytes: [UInt8]?
        do throws(FileError) {
            bytes = try DurableFile.contents(of: path, maxBytes: maxBytes, what: what, wipe: true, requirePrivate: requirePrivate)
        } catch {
            switch error.kind {
            case .notRegularFile, .notPrivate: throw DeviceRegistryError(.masterKey, error.message)
            case .tooLarge: throw DeviceRegistryError(.invalidArgument, error.message)
            default: throw DeviceRegistryError(.storage, error.message)
            }
        }
        guard var contents = bytes else { throw DeviceRegistryError(.notFound, "\(what) \(path) does not exist") }
        defer { contents.withUnsafeMutableBytes { SecureBytes.wipe($0) } }
        return SecureBytes(contents)
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
                    guard let high = Hex.value(ofDigit: raw[2 * i]), let low = Hex.value(ofDigit: raw[2 * i + 1]) else { bad = 2 * i; return }
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

}
