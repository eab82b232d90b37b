import Platform

/// An error from the node library: a `Code` to switch on and a message a user can act on.
///
/// Messages name files, codes and counts; they never contain reading values, names or units, nor
/// key material.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of values: match with `==` and keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The configuration cannot work (a disk queue without a secret, a bad gateway URI...).
        public static let invalidConfiguration = Code("invalid configuration")
        /// A reading was refused before it was queued (bad name, a base name naming another
        /// device, no value).
        public static let invalidReading = Code("invalid reading")
        /// The queue is full and its policy is to refuse new readings.
        public static let queueFull = Code("queue full")
        /// Reading or durably writing the node's data directory failed (a full disk, permissions).
        public static let storageFailure = Code("storage failure")
        /// Another reporter (in this process or another) is using the data directory.
        public static let directoryInUse = Code("directory in use")
        /// The reporter was shut down.
        public static let shutDown = Code("shut down")
        /// Sealing failed (sequence numbers exhausted, key derivation).
        public static let sealingFailure = Code("sealing failure")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A one-line explanation a user can act on.
    public var message: String
    /// The errno, for storage failures.
    public var underlying: Int32?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: Int32? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

extension NodeError {
    /// A file of the data directory that could not be read or durably written, as a
    /// ``Code/storageFailure`` with its errno.
    init(_ error: FileError) {
        self.init(.storageFailure, error.message, underlying: error.code == 0 ? nil : error.code)
    }

    /// Runs a file operation (``DurableFile``), its failure as a ``Code/storageFailure``.
    static func storage<T>(_ operation: () throws -> T) throws -> T {
        do { return try operation() } catch let error as FileError { throw NodeError(error) }
    }
}
