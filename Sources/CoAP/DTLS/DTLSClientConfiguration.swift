/// How a client secures `coaps://` sessions.
///
/// ```swift
/// let dtls = try DTLSClientConfiguration.psk(identity: "node-7", key: PSKKey(hex: "00112233..."))
/// let client = try CoAPClient(configuration: .init(dtls: dtls))
/// ```
public struct DTLSClientConfiguration: Sendable {
    public enum Credentials: Sendable {
        /// A pre-shared key and the identity that names it.
        case psk(identity: PSKIdentity, key: PSKKey)
        /// X.509: the server's chain is verified against `trustedCA` and its certificate must
        /// name the host (SAN or CN, RFC 7252 §9.1.3.3). A client certificate is sent when given.
        case certificate(PKIClientCredentials)
    }

    public var credentials: Credentials
    /// How long a handshake may take before the session fails. A wrong PSK key is only noticed
    /// this way (OpenSSL drops the bad Finished message without an alert). Default 5 s; separate
    /// from request timeouts.
    public var handshakeTimeout: Duration

    public init(credentials: Credentials, handshakeTimeout: Duration = .seconds(5)) {
        self.credentials = credentials
        self.handshakeTimeout = handshakeTimeout
    }

    /// PSK with a text identity.
    public static func psk(identity: String, key: PSKKey, handshakeTimeout: Duration = .seconds(5)) throws(CoAPError) -> Self {
        Self(credentials: .psk(identity: try PSKIdentity(identity), key: key), handshakeTimeout: handshakeTimeout)
    }

    /// X.509 certificates.
    public static func certificate(_ credentials: PKIClientCredentials, handshakeTimeout: Duration = .seconds(5)) -> Self {
        Self(credentials: .certificate(credentials), handshakeTimeout: handshakeTimeout)
    }
}

/// A client's X.509 material.
public struct PKIClientCredentials: Sendable {
    /// The client's own certificate and key, for servers that require mutual authentication.
    public var certificate: PEMSource?
    public var privateKey: PEMSource?
    /// The CA the server's chain must lead to. Without one the client refuses to connect
    /// unless `insecure` is set.
    public var trustedCA: PEMSource?
    /// Skip verifying the server (its chain and its name). For experiments only.
    public var insecure: Bool
    /// The name the server's certificate must carry; by default the URI's host.
    public var expectedServerName: String?

    public init(
        certificate: PEMSource? = nil, privateKey: PEMSource? = nil, trustedCA: PEMSource?,
        insecure: Bool = false, expectedServerName: String? = nil
    ) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustedCA = trustedCA
        self.insecure = insecure
        self.expectedServerName = expectedServerName
    }
}
