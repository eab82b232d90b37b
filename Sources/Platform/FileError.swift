#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation of ``DurableFile`` that failed: the errno (0 when no system call failed, such
/// as a file too large or too widely readable), the path, and a message worded for a user that
/// names the file and the reason. Each library maps it to its own public error.
package struct FileError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that word or classify some failures their own way.
    package enum Kind: Sendable, Equatable {
        /// A system call failed: see ``FileError/code``.
        case system
        /// The file holds more than the caller's limit.
        case tooLarge
        /// The path exists but is not a directory.
        case notADirectory
        /// The path is not a regular file (a secret file must be one).
        case notRegularFile
        /// Group or others have access (a secret file must be mode 0600 or stricter).
        case notPrivate
    }

    package var kind: Kind
    /// The errno of the failed system call; 0 when the failure is not one (``Kind/system`` only).
    package var code: Int32
    /// The file (or directory) the failure is about.
    package var path: String
    /// A one-line explanation: what was attempted on which file, and why it failed.
    package var message: String

    /// A failed system call: "`action` `subject`: `reason`", the subject being `what` and `path`
    /// ("device secret file /x") or `path` alone.
    package init(action: String, path: String, what: String? = nil, code: Int32) {
        self.kind = .system
        self.code = code
        self.path = path
        self.message = "\(action) \(Self.subject(path, what)): \(Self.reason(code))"
    }

    /// A failure that is not a system call's, with its message.
    package init(_ kind: Kind, path: String, message: String) {
        self.kind = kind
        self.code = 0
        self.path = path
        self.message = message
    }

    package var description: String { message }

    /// The reason for an errno in words; a full disk says so plainly, as it is the one a user
    /// most often has to act on.
    package static func reason(_ code: Int32) -> String {
        code == ENOSPC ? "no space left on the device (disk full)" : String(cString: strerror(code))
    }

    /// A file named in a message: its role and path ("sequence number file /x"), or the path.
    package static func subject(_ path: String, _ what: String?) -> String {
        what.map { "\($0) \(path)" } ?? path
    }
}
