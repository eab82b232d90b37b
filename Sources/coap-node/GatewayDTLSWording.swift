import CLIOptions

/// The help texts of `coap-node report`'s DTLS options: its peer is the gateway.
enum GatewayDTLSWording: ClientDTLSWording {
    static let pskIdentityHelp = "DTLS PSK identity (default: --device)."
    static let caHelp = "CA certificate (PEM file) the gateway's chain must lead to."
    static let insecureHelp = "Accept any gateway certificate (no CA, no name check). For experiments only."
    static let handshakeTimeoutHelp = "Seconds a DTLS handshake may take."
}
