internal import CLibCoAP

/// What the loop knows about one DTLS session while and after it handshakes. Loop thread only.
final class DTLSSessionState {
    enum Role { case client, server }

    let role: Role
    let peer: CoAPPeerAddress
    /// C memory the session's libcoap set-up points into.
    let memory = CMemory()
    var connected = false
    /// Server sessions: the peer's transport address as the front door counts it, and whether
    /// its handshake still counts as in progress there.
    var admissionKey: PeerKey?
    var handshaking = false
    /// Server sessions: the peer's address and interface, to find the session again in libcoap.
    var remote: coap_address_t?
    var ifindex: Int32 = 0
    /// The outcome has been reported (server) or the exchanges failed (client).
    var reported = false
    var timer: LoopTimer?
    /// The PSK identity the client gave, or the identity its certificate mapped to.
    var identity: String?
    /// A PSK identity the server did not accept: the handshake runs on with a random key.
    var decoy = false
    /// Why certificate verification refused the peer, when it did.
    var certificateFailure: String?
    /// The last DTLS alert received, e.g. "unknown PSK identity".
    var alert: String?

    // Client sessions: what the server's certificate must say.
    var expectedServerName: String?
    var insecure = false

    init(role: Role, peer: CoAPPeerAddress) {
        self.role = role
        self.peer = peer
    }
}
