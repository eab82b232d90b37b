import CLIOptions

/// The help texts of `coap serve`'s certificate options.
enum ServeCertificateWording: ServerCertificateWording {
    static let certificateHelp = "Server certificate (PEM file)."
    static let privateKeyHelp = "Private key of --cert (PEM file)."
    static let caHelp = "CA certificate (PEM file) client certificates must lead to."
}
