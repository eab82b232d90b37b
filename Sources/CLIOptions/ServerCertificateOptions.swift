package import ArgumentParser
package import CoAP

/// A DTLS server's certificate options: `--cert` and `--key` (PEM files), and `--ca`, the CA that
/// client certificates must lead to. Use it with `@OptionGroup`.
package struct ServerCertificateOptions<Wording: ServerCertificateWording>: ParsableArguments {
    @Option(name: .customLong("cert"), help: ArgumentHelp(Wording.certificateHelp))
    package var certificate: String?

    @Option(name: .customLong("key"), help: ArgumentHelp(Wording.privateKeyHelp))
    package var privateKey: String?

    @Option(name: .customLong("ca"), help: ArgumentHelp(Wording.caHelp))
    package var ca: String?

    package init() {}

    /// The server's certificate, its key and the clients' CA, as PEM files.
    package struct Files: Sendable {
        package var certificate: PEMSource
        package var privateKey: PEMSource
        package var trustedCA: PEMSource?
    }

    /// Refuses `--cert` without `--key`, or the reverse.
    package func checkPairing() throws {
        if (certificate == nil) != (privateKey == nil) { throw ValidationError("--cert and --key go together") }
    }

    /// The files given, each option falling back to the matching default (a config file's);
    /// nil without both a certificate and a key.
    package func files(certificate defaultCertificate: String? = nil, privateKey defaultKey: String? = nil, ca defaultCA: String? = nil) -> Files? {
        guard let certificate = certificate ?? defaultCertificate, let privateKey = privateKey ?? defaultKey else { return nil }
        return Files(certificate: .file(certificate), privateKey: .file(privateKey), trustedCA: (ca ?? defaultCA).map(PEMSource.file))
    }
}
