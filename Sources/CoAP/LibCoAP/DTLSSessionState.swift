internal import CLibCoAP

/// What the server knows about one DTLS session while and after it handshakes. Loop thread only.
final class DTLSSessionState {
    let peer: CoAPPeerAddress
    /// The peer's address and interface, to find the session again in libcoap.
    var remote: coap_address_t?
    var ifindex: Int32 = 0
    /// The peer's transport address as the front door counts it, and whether its handshake still
    /// counts as in progress there.
    var admissionKey: PeerKey?
    var handshaking = false
    var connected = false
    /// The outcome has been reported.
    var reported = false
    var timer: LoopTimer?
    /// The PSK identity the client sent.
    var offeredIdentity: String?
    /// What the key lookup or the certificate mapping made of the client: the identity the session
    /// is authenticated as once it is established.
    var authenticatesAs: String?
    /// A PSK identity the server did not accept: the handshake runs on with a random key.
    var decoy = false
    /// Why certificate verification refused the peer, when it did.
    var certificateFailure: String?
    /// The last DTLS alert, e.g. "the peer sent the alert 'unknown CA'".
    var alert: String?

    init(peer: CoAPPeerAddress) { self.peer = peer }

    /// Keeps the first alert sent, or any alert received (it says more).
    func recordAlert(_ text: String, received: Bool) {
        if received || alert == nil { alert = received ? "the peer sent the alert '\(text)'" : "sent the alert '\(text)'" }
    }
}
