import CoAP
import Sealing
import SenML

/// A reading that passed every check and waits to be committed.
struct PreparedReading: Sendable {
    /// The authenticated device.
    var deviceID: String
    /// Resolved measurements, names under the device, allow-list applied.
    var measurements: [SenMLMeasurement]
    /// The opened seal, when the message was sealed (its number is recorded on commit).
    var opened: OpenedPayload?
    /// The message as received, and who sent it: a retransmission is recognised by both.
    var payload: [UInt8]
    var peer: CoAPPeerAddress?
}
