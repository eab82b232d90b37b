/// An error from the CoAP library: a `Code` to switch on, a message a user can act on, and the
/// libcoap or system error number where there is one.
///
/// Messages never contain keys or payloads.
public struct CoAPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        private init(_ name: String) { self.name = name }

        /// No response within the request's timeout.
        public static let timeout = Code("timeout")
        /// The peer could not be reached (ICMP unreachable, RST, connection refused).
        public static let unreachable = Code("unreachable")
        /// The endpoint was shut down while the operation was pending.
        public static let shutdown = Code("shutdown")
        /// The URI could not be parsed or names an unsupported scheme.
        public static let invalidURI = Code("invalid URI")
        /// A host name could not be resolved.
        public static let addressResolution = Code("address resolution")
        /// A socket could not be bound.
        public static let bindFailed = Code("bind failed")
        /// A DTLS handshake failed or timed out.
        public static let handshakeFailed = Code("handshake failed")
        /// The DTLS configuration is invalid.
        public static let invalidConfiguration = Code("invalid configuration")
        /// The message could not be built or sent.
        public static let sendFailed = Code("send failed")
        /// The server does not support observing this resource.
        public static let observeNotSupported = Code("observe not supported")
        /// libcoap reported an error.
        public static let libcoap = Code("libcoap")
        /// A system call failed.
        public static let system = Code("system")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The errno or libcoap status, when there is one.
    public var underlying: Int32?

    public init(_ code: Code, _ message: String, underlying: Int32? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
