import Platform

/// An error from sealing or opening a payload.
///
/// Descriptions name the problem and, where useful, the key id (not secret) and sequence number;
/// they never contain key bytes, Base IVs, device secrets or plaintext.
public struct SealingError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added: match with `==` and keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The message's kid is not in the key ring.
        public static let unknownKid = Code("unknownKid")
        /// The kid is revoked, or retired and past its grace deadline.
        public static let revokedKid = Code("revokedKid")
        /// The sequence number was seen before or is below the replay window.
        public static let replay = Code("replay")
        /// The AEAD tag did not verify: the message was altered or the key is wrong.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The message is not a well-formed sealed payload.
        public static let malformed = Code("malformed")
        /// The algorithm is not one of 10, 1 or 3, or not the one the kid is registered for.
        public static let unsupportedAlgorithm = Code("unsupportedAlgorithm")
        /// The kid belongs to another device than the one the message came from.
        public static let deviceMismatch = Code("deviceMismatch")
        /// No sequence numbers are left (2⁴⁰ used), or one above 2⁴⁰−1 was given.
        public static let sequenceExhausted = Code("sequenceExhausted")
        /// A device secret, key, Base IV or kid has the wrong form.
        public static let invalidKeyMaterial = Code("invalidKeyMaterial")
        /// The kid is already in the key ring.
        public static let duplicateKid = Code("duplicateKid")
        /// Reading or durably writing a file failed.
        public static let storageFailure = Code("storageFailure")
        /// The crypto library failed for a reason other than a bad tag.
        public static let cryptoFailure = Code("cryptoFailure")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A one-line explanation a user can act on.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension SealingError {
    /// A file that could not be read or durably written, as a ``Code/storageFailure``.
    init(_ error: FileError) {
        self.init(.storageFailure, error.message)
    }
}
