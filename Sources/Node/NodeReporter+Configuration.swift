public import CoAP
public import Sealing

extension NodeReporter {
    /// How a node seals its readings: the device secret and the kid to use now.
    public struct SealingConfiguration: Sendable {
        /// The device's 32-byte sealing secret (the file `coap-registry` provisioned).
        public var secret: DeviceSecret
        /// The kid to seal with (1 to 64 bytes); ``NodeReporter/rotate(to:)`` changes it later.
        public var kid: [UInt8]
        /// The COSE algorithm. Default AES-CCM-16-64-128 (10): an 8-byte tag.
        public var algorithm: SealingAlgorithm

        /// Seals with `kid`, derived from `secret`, under `algorithm`.
        public init(secret: DeviceSecret, kid: [UInt8], algorithm: SealingAlgorithm = .default) {
            self.secret = secret
            self.kid = kid
            self.algorithm = algorithm
        }
    }

    /// A reporter's settings. Every property but the gateway and the device has a default that
    /// suits a sensor reporting every few seconds to a gateway on its LAN.
    public struct Configuration: Sendable {
        /// The gateway, `coap://` or `coaps://`; readings are POSTed to its path, `/readings` when
        /// the URI has none.
        public var gateway: CoAPURI
        /// The device id: the DTLS identity the gateway knows, and the id bound into every seal.
        public var deviceID: String
        /// DTLS credentials (PSK or certificates), needed for `coaps://`.
        public var dtls: DTLSClientConfiguration?
        /// Sealing; `nil` sends SenML in clear (within DTLS, if any). Default `nil`.
        public var sealing: SealingConfiguration?
        /// The secret the on-disk queue's key is derived from (``QueueStorageKey``). Default: the
        /// sealing secret. Needed whenever ``queueDirectory`` is set.
        public var storageSecret: DeviceSecret?
        /// Where sequence numbers are kept (`seq-<kid>`): needed for sealing, and must survive
        /// restarts. Default: ``queueDirectory``.
        public var stateDirectory: String?
        /// Where undelivered readings are kept, encrypted; `nil` (default) keeps them in memory
        /// only, so a restart loses them.
        public var queueDirectory: String?
        /// The most readings waiting at once. Default 10,000.
        public var queueCapacity: Int
        /// What a full queue does with a new reading. Default `.dropOldest`.
        public var overflowPolicy: QueueOverflowPolicy
        /// CON (default) waits for the gateway's ACK with retransmissions; NON sends each message
        /// once (cheaper on air). Either way a reading leaves the queue only after a 2.xx response.
        public var messageType: CoAPMessageType
        /// SenML CBOR (112, default) or SenML JSON (110).
        public var format: ContentFormat
        /// Put `bn: "<device>/"` on each message's first record. Default false: the gateway knows
        /// the device from the DTLS identity or the kid, and the bytes count on a constrained link.
        public var includeBaseName: Bool
        /// The most readings in one message. Default 32.
        public var maxReadingsPerMessage: Int
        /// The most SenML bytes in one message (more readings wait for the next). Default 768, so a
        /// message fits one datagram without block-wise transfer.
        public var maxPayloadBytes: Int
        /// How long one message waits for its response. Default 10 s.
        public var requestTimeout: Duration
        /// RFC 7252 ACK_TIMEOUT for CON messages. Default 2 s.
        public var ackTimeout: Duration
        /// Backoff while the gateway is unreachable or refusing. Default ``RetryPolicy/default``.
        public var retry: RetryPolicy
        /// Sequence numbers reserved per durable write of `seq-<kid>`. A restart skips at most this
        /// many. Default 32.
        public var sequenceReservation: UInt64

        /// A configuration with the defaults documented on each property.
        public init(
            gateway: CoAPURI,
            deviceID: String,
            dtls: DTLSClientConfiguration? = nil,
            sealing: SealingConfiguration? = nil,
            storageSecret: DeviceSecret? = nil,
            stateDirectory: String? = nil,
            queueDirectory: String? = nil,
            queueCapacity: Int = 10_000,
            overflowPolicy: QueueOverflowPolicy = .dropOldest,
            messageType: CoAPMessageType = .confirmable,
            format: ContentFormat = .senmlCBOR,
            includeBaseName: Bool = false,
            maxReadingsPerMessage: Int = 32,
            maxPayloadBytes: Int = 768,
            requestTimeout: Duration = .seconds(10),
            ackTimeout: Duration = .seconds(2),
            retry: RetryPolicy = .default,
            sequenceReservation: UInt64 = 32
        ) {
            self.gateway = gateway
            self.deviceID = deviceID
            self.dtls = dtls
            self.sealing = sealing
            self.storageSecret = storageSecret
            self.stateDirectory = stateDirectory
            self.queueDirectory = queueDirectory
            self.queueCapacity = queueCapacity
            self.overflowPolicy = overflowPolicy
            self.messageType = messageType
            self.format = format
            self.includeBaseName = includeBaseName
            self.maxReadingsPerMessage = maxReadingsPerMessage
            self.maxPayloadBytes = maxPayloadBytes
            self.requestTimeout = requestTimeout
            self.ackTimeout = ackTimeout
            self.retry = retry
            self.sequenceReservation = sequenceReservation
        }

        /// The URI readings are POSTed to: the gateway's, with `/readings` when it has no path.
        public var readingsURI: CoAPURI {
            var uri = gateway
            if uri.pathSegments.isEmpty { uri.pathSegments = ["readings"] }
            return uri
        }

        /// Checks what can be checked without touching the disk or the network.
        func validate() throws {
            guard !deviceID.isEmpty, deviceID.utf8.count <= 255 else {
                throw NodeError(.invalidConfiguration, "the device id must be 1 to 255 bytes")
            }
            if gateway.isSecure && dtls == nil {
                throw NodeError(.invalidConfiguration, "a coaps:// gateway needs DTLS credentials (PSK or certificates)")
            }
            guard format == .senmlCBOR || format == .senmlJSON else {
                throw NodeError(.invalidConfiguration, "readings are sent as SenML CBOR (112) or SenML JSON (110), not \(format)")
            }
            guard messageType == .confirmable || messageType == .nonConfirmable else {
                throw NodeError(.invalidConfiguration, "readings are sent as CON or NON messages")
            }
            if let sealing {
                guard (1...64).contains(sealing.kid.count) else {
                    throw NodeError(.invalidConfiguration, "a kid has 1 to 64 bytes")
                }
                guard stateDirectory ?? queueDirectory != nil else {
                    throw NodeError(
                        .invalidConfiguration,
                        "sealing needs a state directory, where sequence numbers are kept so that none is ever reused")
                }
            }
            if queueDirectory != nil && (storageSecret ?? sealing?.secret) == nil {
                throw NodeError(
                    .invalidConfiguration,
                    "a queue on disk keeps readings encrypted under a key derived from the device secret: give the secret (storageSecret or sealing)")
            }
            guard queueCapacity >= 1 else { throw NodeError(.invalidConfiguration, "the queue capacity must be at least 1") }
            guard maxReadingsPerMessage >= 1, maxPayloadBytes >= 16 else {
                throw NodeError(.invalidConfiguration, "a message holds at least one reading and 16 bytes")
            }
            guard sequenceReservation >= 1 else {
                throw NodeError(.invalidConfiguration, "the sequence reservation must be at least 1")
            }
        }
    }
}
