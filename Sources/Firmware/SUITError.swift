/// An error from decoding, verifying or signing a SUIT envelope.
///
/// Each refusal a node can meet has its own ``Code``, so that a caller can turn it into an exit
/// status or a reason reported to the gateway; the ``message`` says in words what was wrong and
/// where (`manifest.common.shared-sequence[3]`). Messages never contain key material.
public struct SUITError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. New codes may be added: match with `==` and keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name (also what a node reports to the gateway).
        public let name: String

        private init(_ name: String) { self.name = name }

        /// Not well-formed CBOR, or not the shape the SUIT manifest draft gives (a missing member,
        /// a wrong type, a value out of range).
        public static let malformed = Code("malformed")
        /// Well-formed, but uses a command, parameter, algorithm or manifest version this
        /// implementation does not implement. Never skipped silently.
        public static let unsupported = Code("unsupported")
        /// The authentication wrapper's digest does not match the manifest, or a severed member
        /// does not match the digest the manifest holds for it.
        public static let digestMismatch = Code("digestMismatch")
        /// No signature block verifies with any trust anchor given (a changed byte, a wrong key).
        public static let badSignature = Code("badSignature")
        /// The envelope carries no signature at all.
        public static let unsigned = Code("unsigned")
        /// A signing or trust-anchor key cannot be read or is of an unsupported type.
        public static let invalidKey = Code("invalidKey")

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

    static func malformed(_ path: String, _ what: String) -> SUITError {
        SUITError(.malformed, "\(path): \(what)")
    }

    static func unsupported(_ path: String, _ what: String) -> SUITError {
        SUITError(.unsupported, "\(path): \(what)")
    }
}
