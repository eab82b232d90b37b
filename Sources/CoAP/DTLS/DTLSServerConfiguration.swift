/// How a server secures its DTLS endpoint: PSK, X.509, or both at once (the client's hello
/// decides which one a session uses).
public struct DTLSServerConfiguration: Sendable {
    /// Looks up the key for a client's PSK identity, and the identity the session is then
    /// authenticated as (``CoAPRequest/identity``: the device a PSK identity belongs to, say);
    /// `nil` refuses the client without telling it why (it sees the same failure as with a wrong
    /// key). Called on the server's loop thread for every handshake: keep it fast (an in-memory
    /// lookup).
    public typealias KeyLookup = @Sendable (_ identity: PSKIdentity, _ peer: CoAPPeerAddress) -> PSKMatch?

    /// What a PSK lookup found: the key, and the identity a session that proves it holds the key is
    /// authenticated as.
    public struct PSKMatch: Sendable {
        public var key: PSKKey
        public var identity: String

        public init(key: PSKKey, identity: String) {
            self.key = key
            self.identity = identity
        }
    }

    /// Maps a verified client certificate to an identity; `nil` refuses the client. Called on
    /// the loop thread.
    public typealias CertificateMapping = @Sendable (_ certificate: PeerCertificate, _ peer: CoAPPeerAddress) -> String?

    public struct PSK: Sendable {
        /// Sent to clients as the identity hint; empty sends none.
        public var hint: String
        public var keyLookup: KeyLookup

        public init(hint: String = "", keyLookup: @escaping KeyLookup) {
            self.hint = hint
            self.keyLookup = keyLookup
        }
    }

    public struct PKI: Sendable {
        public var certificate: PEMSource
        public var privateKey: PEMSource
        /// The CA client chains must lead to.
        public var trustedCA: PEMSource?
        /// Refuse clients without a certificate (mutual authentication). Default true.
        public var requireClientCertificate: Bool
        /// Maps a client certificate to an identity. By default its SHA-256 fingerprint.
        public var identify: CertificateMapping

        public init(
            certificate: PEMSource, privateKey: PEMSource, trustedCA: PEMSource?,
            requireClientCertificate: Bool = true,
            identify: @escaping CertificateMapping = { certificate, _ in certificate.sha256Fingerprint }
        ) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.trustedCA = trustedCA
            self.requireClientCertificate = requireClientCertificate
            self.identify = identify
        }
    }

    public var psk: PSK?
    public var pki: PKI?
    /// Every handshake outcome, for auditing and lockout. Called on the loop thread.
    public var onHandshake: (@Sendable (DTLSHandshakeEvent) -> Void)?
    /// A handshake not complete after this long is ended and reported (`.timeout` when the client
    /// named an identity, `.abandoned` when it did not); its session is freed.
    public var handshakeTimeout: Duration
    /// What peers may hold (handshakes and sessions, per address and in all) and how addresses
    /// whose handshakes keep failing are throttled.
    public var limits: DTLSServerLimits
    /// Where the server counts what its front door and handshakes see (``DTLSServerStatistics``).
    public var counters: DTLSServerCounters

    public init(
        psk: PSK? = nil, pki: PKI? = nil, handshakeTimeout: Duration = .seconds(10), limits: DTLSServerLimits = DTLSServerLimits(),
        counters: DTLSServerCounters = DTLSServerCounters(), onHandshake: (@Sendable (DTLSHandshakeEvent) -> Void)? = nil
    ) {
        self.psk = psk
        self.pki = pki
        self.handshakeTimeout = handshakeTimeout
        self.limits = limits
        self.counters = counters
        self.onHandshake = onHandshake
    }
}
