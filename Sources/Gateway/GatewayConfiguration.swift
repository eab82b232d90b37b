public import CoAP

/// How a gateway listens, what it accepts, and when it locks out.
public struct GatewayConfiguration: Sendable {
    /// Address to bind. Default loopback; give `0.0.0.0` or `::` to serve the network.
    public var host: String = "127.0.0.1"
    /// Plain CoAP port (sealed readings only). Default 5683; 0 picks one.
    public var port: UInt16 = 5683
    /// Serve plain CoAP at all. Default true.
    public var plainCoAP: Bool = true
    /// DTLS port. Default 5684; 0 picks one.
    public var dtlsPort: UInt16 = 5684
    /// PSK identity hint sent to nodes.
    public var pskHint: String = "securecoap-gateway"
    /// Certificate DTLS: the gateway's certificate and key, and the CA device certificates chain to.
    public var certificate: PEMSource?
    public var privateKey: PEMSource?
    public var trustedCA: PEMSource?
    /// How long a DTLS handshake may take before it is reported as failed.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Largest reading message accepted (4.13 above).
    public var maxPayloadBytes: Int = 4096
    /// Most SenML records per message (4.13 above).
    public var maxRecordsPerMessage: Int = 64
    /// Messages per second per device on average, and the burst allowed (4.29 above).
    public var ratePerDevice: Double = 50
    public var burstPerDevice: Double = 100
    /// When repeated failures lock a device or an address out.
    public var lockout = SecurityMonitor.Policy()
    /// What an acknowledged reading survives: the gateway process being killed (default), or a
    /// power cut too (a flush to the device per group commit; see ``ReadingsDurability``).
    public var readingsDurability: ReadingsDurability = .processCrash
    /// Seconds a graceful shutdown waits for accepted readings to be committed and answered.
    public var shutdownGrace: Double = 5

    /// Package-only, for `ingest-bench`'s baseline: readings stored in clear. Never a product option.
    package var encryptsReadingsAtRest = true

    public init() {}
}
