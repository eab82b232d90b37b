/// What a DTLS server lets peers hold, and how it answers peers whose handshakes keep failing.
///
/// The server answers a first ClientHello with a stateless cookie (RFC 6347 §4.2.1) and keeps
/// nothing for a peer until it returns the cookie, so spoofed sources cost it no state. The caps
/// below bound what peers that did return a cookie can hold; a ClientHello over a cap is dropped
/// (the client retransmits later) and counted in ``DTLSServerStatistics``.
public struct DTLSServerLimits: Sendable, Equatable {
    /// Handshakes in progress at once, from everyone. Default 1,000.
    public var maxHandshakes: Int = 1_000
    /// Handshakes in progress at once from one IP address. Default 64: a NAT's devices share one.
    public var maxHandshakesPerAddress: Int = 64
    /// DTLS sessions (in progress or established) at once. Default 100,000.
    public var maxSessions: Int = 100_000
    /// DTLS sessions at once from one IP address. Default 10,000.
    public var maxSessionsPerAddress: Int = 10_000
    /// Cookies sent per second, to everyone: bounds what a flood of ClientHellos from spoofed
    /// sources costs. Default 20,000; a legitimate client whose ClientHello is dropped over it
    /// retransmits.
    public var maxCookiesPerSecond: Int = 20_000
    /// Failed handshakes from one IP address within ``failureWindow`` after which that address is
    /// throttled. Default 20.
    public var failureThreshold: Int = 20
    public var failureWindow: Duration = .seconds(60)
    /// How long an address stays throttled, and the exact transport address (IP and port) whose
    /// handshakes failed stays refused. Default 300 s.
    public var throttleDuration: Duration = .seconds(300)
    /// New handshakes per second admitted from a throttled address. Throttled, not refused: the
    /// failures prove only that someone at that address failed, and the other devices behind the
    /// same NAT must still get in. Default 1.
    public var throttledHandshakesPerSecond: Double = 1

    public init() {}

    /// Checks every value; the error names the first that is out of range.
    public func validate() throws(CoAPError) {
        func positive(_ value: Int, _ name: String) throws(CoAPError) {
            guard value > 0 else { throw CoAPError(.invalidConfiguration, "\(name) must be at least 1 (it is \(value))") }
        }
        try positive(maxHandshakes, "maxHandshakes")
        try positive(maxHandshakesPerAddress, "maxHandshakesPerAddress")
        try positive(maxSessions, "maxSessions")
        try positive(maxSessionsPerAddress, "maxSessionsPerAddress")
        try positive(maxCookiesPerSecond, "maxCookiesPerSecond")
        try positive(failureThreshold, "failureThreshold")
        guard failureWindow > .zero else { throw CoAPError(.invalidConfiguration, "failureWindow must be positive") }
        guard throttleDuration >= .zero else { throw CoAPError(.invalidConfiguration, "throttleDuration cannot be negative") }
        guard throttledHandshakesPerSecond > 0, throttledHandshakesPerSecond.isFinite else {
            throw CoAPError(.invalidConfiguration, "throttledHandshakesPerSecond must be a positive number")
        }
    }
}
