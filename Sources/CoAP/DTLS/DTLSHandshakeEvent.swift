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
    /// Once established, the identity the session is authenticated as (what the key lookup or the
    /// certificate mapping returned). After a failure, the identity the client claimed, not proven:
    /// what the lookup made of its PSK identity, or that PSK identity when the lookup knew none.
    public var identity: String?
    /// The PSK identity the client sent, if it used PSK.
    public var offeredIdentity: String?
    public var peer: CoAPPeerAddress

    public init(outcome: Outcome, identity: String?, offeredIdentity: String? = nil, peer: CoAPPeerAddress) {
        self.outcome = outcome
        self.identity = identity
        self.offeredIdentity = offeredIdentity
        self.peer = peer
    }

    public var description: String { "DTLS handshake from \(peer) (identity \(offeredIdentity ?? identity ?? "-")): \(outcome)" }
}
