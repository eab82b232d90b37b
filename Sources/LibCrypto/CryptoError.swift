internal import CLibCrypto

/// An error raised by a cryptographic operation.
///
/// The ``code`` says what went wrong in a form a program can match on; the ``message`` says it in a
/// form a person can act on, and ``openSSLErrors`` carries OpenSSL's own error queue at the time of
/// the failure, when there was one. Neither ever contains key material or plaintext.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added in later versions: match with `==` and keep a
    /// default branch.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short, stable name for the code.
        public let name: String

        private init(_ name: String) { self.name = name }

        /// A key has the wrong length, type or curve, or cannot be parsed.
        public static let invalidKey = Code("invalidKey")
        /// A nonce has the wrong length.
        public static let invalidNonce = Code("invalidNonce")
        /// A parameter (length, algorithm choice, size) is out of range.
        public static let invalidParameter = Code("invalidParameter")
        /// Input data (a signature, a PEM document, hex text) cannot be parsed.
        public static let invalidEncoding = Code("invalidEncoding")
        /// An AEAD tag did not verify: the data was altered or the key, nonce or AAD is wrong.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The random number generator failed.
        public static let randomFailure = Code("randomFailure")
        /// OpenSSL failed in a way the caller cannot fix (allocation, missing provider).
        public static let internalFailure = Code("internalFailure")

        public var description: String { name }
    }

    /// What went wrong, as a code.
    public var code: Code
    /// A one-line explanation for a person.
    public var message: String
    /// OpenSSL's error queue at the time of failure, oldest first (`ERR_error_string_n` text).
    public var openSSLErrors: [String]

    /// Creates an error. Use ``CryptoError/Code`` values to classify it.
    public init(_ code: Code, _ message: String, openSSLErrors: [String] = []) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    public var description: String {
        if openSSLErrors.isEmpty { return message }
        return "\(message) (OpenSSL: \(openSSLErrors.joined(separator: "; ")))"
    }

    /// Creates an error and drains the calling thread's OpenSSL error queue into it.
    static func openSSL(_ code: Code, _ message: String) -> CryptoError {
        CryptoError(code, message, openSSLErrors: drainOpenSSLErrors())
    }

    /// Empties the calling thread's OpenSSL error queue and returns its entries as text.
    static func drainOpenSSLErrors() -> [String] {
        var entries: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            // Bound the queue we keep: OpenSSL's queue holds at most 16 entries anyway.
            if entries.count < 16 {
                entries.append(openSSLErrorString(code))
            }
        }
        return entries
    }

    private static func openSSLErrorString(_ code: UInt) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            buffer.initialize(repeating: 0)
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }
}
