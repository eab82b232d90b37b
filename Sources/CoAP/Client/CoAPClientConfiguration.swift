extension CoAPClient {
    /// Client settings. Every property has a default that suits a loopback or LAN peer.
    public struct Configuration: Sendable {
        /// How long a request waits for its response before failing with `.timeout`.
        /// Default 10 s. Each call can override it.
        public var requestTimeout: Duration
        /// Confirmable requests in flight per peer (libcoap's NSTART). Default 32: N concurrent
        /// requests are N in flight up to this bound; more wait in libcoap's queue.
        public var maxInFlightPerPeer: UInt16
        /// RFC 7252 ACK_TIMEOUT: the first retransmission of a CON request. Default 2 s.
        public var ackTimeout: Duration
        /// RFC 7252 MAX_RETRANSMIT. Default 4.
        public var maxRetransmit: UInt16
        /// Block size for block-wise transfers (RFC 7959), 16 to 1024 bytes. `nil` (default)
        /// lets libcoap use the largest block that fits the path MTU (1024 bytes on UDP).
        public var blockSize: Int?
        /// Credentials for `coaps://` URIs. Without them, `coaps://` requests fail with
        /// `.invalidConfiguration`.
        public var dtls: DTLSClientConfiguration?

        public init(
            requestTimeout: Duration = .seconds(10),
            maxInFlightPerPeer: UInt16 = 32,
            ackTimeout: Duration = .seconds(2),
            maxRetransmit: UInt16 = 4,
            blockSize: Int? = nil,
            dtls: DTLSClientConfiguration? = nil
        ) {
            self.dtls = dtls
            self.blockSize = blockSize
            self.requestTimeout = requestTimeout
            self.maxInFlightPerPeer = maxInFlightPerPeer
            self.ackTimeout = ackTimeout
            self.maxRetransmit = maxRetransmit
        }

        var sessionParameters: ClientSessionParameters {
            ClientSessionParameters(
                nstart: max(1, maxInFlightPerPeer),
                ackTimeoutSeconds: ackTimeout.seconds,
                maxRetransmit: maxRetransmit,
                blockSZX: blockSize.map(CoAPBlockOption.szx(forSize:)),
                dtls: dtls)
        }
    }
}
