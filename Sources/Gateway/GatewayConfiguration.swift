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
    /// When a device's proven misbehaviour locks it out; the same threshold, window and time
    /// apply to throttling an address whose DTLS handshakes keep failing.
    public var lockout = SecurityMonitor.Policy()
    /// What DTLS peers may hold: handshakes and sessions per address and in all, cookies sent per
    /// second. Its failure fields are taken from ``lockout``.
    public var dtlsLimits = DTLSServerLimits()
    /// What CoAP peers may hold: observers (per resource, per address, in all) and block-wise
    /// transfers. Its largest request body is ``maxPayloadBytes``.
    public var coapLimits = CoAPServerLimits()
    /// What an acknowledged reading survives: the gateway process being killed (default), or a
    /// power cut too (a flush to the device per group commit; see ``ReadingsDurability``).
    public var readingsDurability: ReadingsDurability = .processCrash
    /// Seconds a graceful shutdown waits for accepted readings to be committed and answered.
    public var shutdownGrace: Double = 5

    /// What to do with a data directory whose readings store or replay state does not check out
    /// at start (``StorageRecovery``). None by default: the gateway refuses to start and says why.
    public var recovery: StorageRecovery = []

    /// Package-only, for `ingest-bench`'s baseline: what seals stored readings in place of the
    /// data keys (see ``ReadingsContentCipher``). Never a product option.
    package var readingsContentCipher: (@Sendable () throws -> any ReadingsContentCipher)?

    public init() {}

    /// Checks every value; the error names the first that is out of range by its key in the
    /// config file.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ rule: String, _ value: Any) throws {
            guard ok else { throw GatewayError("\(key) \(rule) (it is \(value))") }
        }
        try check(!host.isEmpty, "host", "cannot be empty", "\"\"")
        try check(maxPayloadBytes >= 1, "maxPayloadBytes", "must be at least 1", maxPayloadBytes)
        try check(maxRecordsPerMessage >= 1, "maxRecordsPerMessage", "must be at least 1", maxRecordsPerMessage)
        try check(ratePerDevice > 0 && ratePerDevice.isFinite, "ratePerDevice", "must be a positive number", ratePerDevice)
        try check(burstPerDevice >= 1 && burstPerDevice.isFinite, "burstPerDevice", "must be at least 1", burstPerDevice)
        try check(lockout.threshold >= 1, "lockoutThreshold", "must be at least 1", lockout.threshold)
        try check(lockout.window > .zero, "lockoutWindowSeconds", "must be positive", lockout.window)
        try check(lockout.lockout >= .seconds(1), "lockoutSeconds", "must be at least 1", lockout.lockout)
        try check(handshakeTimeout > .zero, "handshakeTimeoutSeconds", "must be positive", handshakeTimeout)
        try check(shutdownGrace >= 0 && shutdownGrace.isFinite, "shutdownGrace", "cannot be negative", shutdownGrace)
        do { try dtlsLimits.validate() } catch { throw GatewayError(error.message) }
        do { try coapLimits.validate() } catch { throw GatewayError(error.message) }
    }
}
