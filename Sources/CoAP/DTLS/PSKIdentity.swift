/// A DTLS pre-shared-key identity: 1 to 64 bytes, no NUL byte.
///
/// OpenSSL passes PSK identities as NUL-terminated strings of at most 64 bytes and would silently
/// cut a longer or NUL-containing identity, so such identities are refused here, when they are
/// created, rather than failing mysteriously in a handshake later.
public struct PSKIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The most bytes an identity may have (libcoap's `COAP_DTLS_MAX_PSK_IDENTITY`).
    public static let maximumLength = 64

    public let bytes: [UInt8]

    /// Validates raw identity bytes.
    public init(bytes: [UInt8]) throws(CoAPError) {
        guard !bytes.isEmpty else { throw CoAPError(.invalidConfiguration, "a PSK identity cannot be empty") }
        guard bytes.count <= Self.maximumLength else {
            throw CoAPError(.invalidConfiguration, "a PSK identity has at most \(Self.maximumLength) bytes (this one has \(bytes.count))")
        }
        guard !bytes.contains(0) else { throw CoAPError(.invalidConfiguration, "a PSK identity cannot contain a NUL byte") }
        self.bytes = bytes
    }

    /// An identity from its UTF-8 text.
    public init(_ text: String) throws(CoAPError) { try self.init(bytes: Array(text.utf8)) }

    /// The identity as text (invalid UTF-8 is replaced).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { text }
}
