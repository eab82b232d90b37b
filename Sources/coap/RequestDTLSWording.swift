import CLIOptions

/// The help texts of the request commands' DTLS options: their peer is a server.
enum RequestDTLSWording: ClientDTLSWording {
    static let pskIdentityHelp = "DTLS PSK identity (at most 64 bytes, no NUL)."
    static let caHelp = "CA certificate (PEM file) the server's chain must lead to."
    static let insecureHelp = "Accept any server certificate (no CA, no name check). For experiments only."
    static let handshakeTimeoutHelp = "Seconds a DTLS handshake may take (a wrong PSK key is noticed only this way)."
}
