internal import CLibCoAP

/// One request message: its session and message ID, what tells a retransmitted or duplicated copy
/// (RFC 7252 §4.5).
struct RequestMessageKey: Hashable {
    let session: UInt
    let messageID: coap_mid_t

    init(session: OpaquePointer, messageID: coap_mid_t) {
        self.session = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        self.messageID = messageID
    }
}
