import CoAP
import Sealing
import SenML

/// A message that passed every check the CoAP loop makes and waits for the commit worker, which
/// reads its SenML (see ``ReadingIngestor/measurements(of:now:)``) and stores it.
struct PreparedReading: Sendable {
    /// The authenticated device.
    var deviceID: String
    /// The SenML pack (the opened plaintext, when the message was sealed) and its format
    /// (``ContentFormat/senmlCBOR`` or ``ContentFormat/senmlJSON``).
    var body: [UInt8]
    var format: ContentFormat
    /// The device's allow-list of SenML names, as the directory gave it when the message came.
    var allowedNames: Set<String>?
    /// The opened seal, when the message was sealed (its number is recorded on commit).
    var opened: OpenedPayload?
    /// The message as received, and who sent it: a retransmission is recognised by both.
    var payload: [UInt8]
    var peer: CoAPPeerAddress?
}
