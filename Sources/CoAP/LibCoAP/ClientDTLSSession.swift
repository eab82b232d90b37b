/// What the client knows about one DTLS session it opened. Loop thread only.
final class ClientDTLSSession {
    let peer: CoAPPeerAddress
    /// C memory the session's libcoap set-up points into.
    let memory = CMemory()
    var connected = false
    /// The exchanges waiting on the handshake have been failed.
    var reported = false
    var timer: LoopTimer?
    /// Why the server's certificate was refused, when it was.
    var certificateFailure: String?
    /// The last DTLS alert, e.g. "the peer sent the alert 'handshake failure'".
    var alert: String?
    /// What the server's certificate must name (nil: no check), and whether to check nothing.
    var expectedServerName: String?
    var insecure = false

    init(peer: CoAPPeerAddress) { self.peer = peer }

    /// Keeps the first alert sent, or any alert received (it says more).
    func recordAlert(_ text: String, received: Bool) {
        if received || alert == nil { alert = received ? "the peer sent the alert '\(text)'" : "sent the alert '\(text)'" }
    }
}
