import CoAP
import Sealing

/// A message that passed every stage before the commit: the device it proves, its SenML (the
/// opened plaintext, when it was sealed), and what the commit needs of the message itself.
struct PreparedReading: Sendable {
    var deviceID: String
    var body: [UInt8]
    /// ``ContentFormat/senmlCBOR`` or ``ContentFormat/senmlJSON``.
    var format: ContentFormat
    /// The device's allow-list of SenML names, as the directory gave it when the message came.
    var allowedNames: Set<String>?
    /// The opened seal, when the message was sealed (its number is recorded on commit).
    var opened: OpenedPayload?
    /// The message as received, and who sent it: a retransmission is recognised by both.
    var payload: [UInt8]
    var peer: CoAPPeerAddress?
}
