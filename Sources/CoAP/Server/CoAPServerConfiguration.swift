extension CoAPServer {
    /// Where and how a server listens.
    public struct Configuration: Sendable {
        /// Address to bind, an IP literal or a name. Default `127.0.0.1` (loopback only); give
        /// `0.0.0.0` or `::` to serve the network.
        public var host: String
        /// UDP port for plain CoAP. Default 5683; 0 lets the system pick (see
        /// `CoAPServer.localAddresses`).
        public var port: UInt16
        /// Serve plain CoAP on `port`. Default true; switch it off to serve DTLS only.
        public var plainCoAP: Bool
        /// DTLS (`coaps://`) settings; `nil` (default) serves no DTLS.
        public var dtls: DTLSServerConfiguration?
        /// UDP port for DTLS. Default 5684; 0 lets the system pick (see
        /// `CoAPServer.dtlsLocalAddresses`).
        public var dtlsPort: UInt16
        /// Request bodies: the largest one, and what block-wise transfers in progress may hold.
        public var limits: CoAPServerLimits
        /// Where the server counts what its caps refused, and what peers hold
        /// (``CoAPServer/statistics``). Give one you hold to read it before the server exists.
        public var counters: CoAPServerCounters

        public init(
            host: String = "127.0.0.1", port: UInt16 = 5683, plainCoAP: Bool = true,
            dtls: DTLSServerConfiguration? = nil, dtlsPort: UInt16 = 5684, limits: CoAPServerLimits = CoAPServerLimits(),
            counters: CoAPServerCounters = CoAPServerCounters()
        ) {
            self.host = host
            self.port = port
            self.plainCoAP = plainCoAP
            self.dtls = dtls
            self.dtlsPort = dtlsPort
            self.limits = limits
            self.counters = counters
        }
    }
}
