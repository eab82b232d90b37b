internal import CLibCoAP

/// A confirmable request whose ACK is held: its session and message ID (what identifies a
/// retransmitted copy, RFC 7252 §4.5).
struct HeldRequestKey: Hashable {
    let session: UInt
    let messageID: coap_mid_t

    init(session: OpaquePointer, messageID: coap_mid_t) {
        self.session = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        self.messageID = messageID
    }

    /// The key of a detached request.
    init(_ detached: DetachedResponse) {
        self.init(session: detached.session, messageID: detached.messageID)
    }
}
