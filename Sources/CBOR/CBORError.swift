/// An error from decoding or reading CBOR.
///
/// Messages name the problem and the byte offset, never the content of the data.
public struct CBORError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added: match with `==` and keep a default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// The input ended inside an item.
        public static let truncated = Code("truncated")
        /// The bytes are not well-formed CBOR (reserved additional information, a stray break, a
        /// two-byte simple value below 32, a bad chunk in an indefinite-length string).
        public static let malformed = Code("malformed")
        /// A text string is not valid UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// Nesting is deeper than ``CBORLimits/maxDepth``.
        public static let depthLimitExceeded = Code("depthLimitExceeded")
        /// More items than ``CBORLimits/maxItems``.
        public static let itemLimitExceeded = Code("itemLimitExceeded")
        /// A string longer than ``CBORLimits/maxStringLength``.
        public static let stringTooLong = Code("stringTooLong")
        /// The input is longer than ``CBORLimits/maxInputLength``.
        public static let inputTooLong = Code("inputTooLong")
        /// A map has the same key twice.
        public static let duplicateMapKey = Code("duplicateMapKey")
        /// Bytes remain after the single item that was expected.
        public static let trailingBytes = Code("trailingBytes")
        /// A reader call expected one type and found another.
        public static let typeMismatch = Code("typeMismatch")
        /// An integer does not fit the requested Swift type.
        public static let integerOverflow = Code("integerOverflow")
        /// An indefinite-length item where a reader call needs a definite one.
        public static let indefiniteLength = Code("indefiniteLength")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A one-line explanation.
    public var message: String
    /// The byte offset in the input where the problem was found, when known.
    public var offset: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "CBOR \(code): \(message) (at byte \(offset))" }
        return "CBOR \(code): \(message)"
    }
}
