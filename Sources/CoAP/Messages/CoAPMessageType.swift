/// The CoAP message type (RFC 7252 §3): the four values are fixed by the protocol.
public enum CoAPMessageType: UInt8, Sendable, CustomStringConvertible {
    /// Confirmable: retransmitted until acknowledged.
    case confirmable = 0
    /// Non-confirmable: sent once.
    case nonConfirmable = 1
    case acknowledgement = 2
    case reset = 3

    public var description: String {
        switch self {
        case .confirmable: "CON"
        case .nonConfirmable: "NON"
        case .acknowledgement: "ACK"
        case .reset: "RST"
        }
    }
}
