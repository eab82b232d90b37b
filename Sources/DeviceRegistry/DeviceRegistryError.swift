/// An error from the device registry: a code a program can match on and a one-line message a
/// person can act on. Messages never contain key material.
public struct DeviceRegistryError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure. New codes may be added later: match with `==` and keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name for the code.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The device, credential or rule does not exist.
        public static let notFound = Code("notFound")
        /// A device id, PSK identity, kid, fingerprint or subject is already registered.
        public static let alreadyExists = Code("alreadyExists")
        /// An argument is malformed or out of range (invalid id, key length, pattern, PEM ...).
        public static let invalidArgument = Code("invalidArgument")
        /// The master key file is missing, malformed, too widely readable, or does not match the database.
        public static let masterKey = Code("masterKey")
        /// The database was written by a newer version of this software.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// Another process holds a lock on the database for longer than the busy timeout.
        public static let databaseLocked = Code("databaseLocked")
        /// The database or a file could not be read or written.
        public static let storage = Code("storage")
        /// Stored data failed an integrity check (a secret that does not decrypt, a broken audit chain).
        public static let integrity = Code("integrity")
        /// The operation is refused in the current state (for example, overwriting a key file).
        public static let refused = Code("refused")

        public var description: String { name }
    }

    /// What went wrong, as a code.
    public var code: Code
    /// A one-line explanation for a person.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
