/// The address of a CoAP peer: an IP literal and a UDP port.
public struct CoAPPeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IP address as text (`127.0.0.1`, `::1`).
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:5683` or `[::1]:5683`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
