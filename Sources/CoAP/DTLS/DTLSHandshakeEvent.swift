/// The outcome of one DTLS handshake with a client, reported to the server's owner so it can
/// audit, alert and lock out. Delivered on the server's loop thread: keep the handler short.
public struct DTLSHandshakeEvent: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable, Equatable {
        /// The handshake completed; `identity` is authenticated.
        case established
        /// The client named a PSK identity the server does not know (or refused). The client is
        /// not told: it gets the same failure as with a wrong key.
        case unknownIdentity
        /// The client's certificate was refused; the reason says why (expired, unknown CA, not
        /// mapped to an identity ...).
        case certificateRefused(String)
        /// The handshake did not complete in time. With a known PSK identity this is almost
        /// always a wrong key: OpenSSL drops the bad Finished message without an alert.
        case timeout
        /// The client gave no identity before the handshake timeout: it stopped after the cookie
        /// exchange or the server's first flight (a half-open flood looks like this).
        case abandoned
        /// The handshake failed with a DTLS alert or error.
        case failed(String)
    }

    public var outcome: Outcome
    /// The PSK identity the client gave, or the identity its certificate mapped to.
    public var identity: String?
    public var peer: CoAPPeerAddress

    public init(outcome: Outcome, identity: String?, peer: CoAPPeerAddress) {
        self.outcome = outcome
        self.identity = identity
        self.peer = peer
    }

    public var description: String { "DTLS handshake from \(peer) (identity \(identity ?? "-")): \(outcome)" }
}
