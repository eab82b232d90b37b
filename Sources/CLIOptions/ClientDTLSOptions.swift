package import ArgumentParser
package import CoAP

/// A client's DTLS options: a PSK identity and key (text, hex or file), or certificates (`--cert`,
/// `--key`, `--ca`, `--insecure`), and `--handshake-timeout`. Use it with `@OptionGroup`, and call
/// ``check(keyNeedsIdentity:)`` from the command's `validate()` where its checks belong.
package struct ClientDTLSOptions<Wording: ClientDTLSWording>: ParsableArguments {
    @Option(name: .customLong("psk-identity"), help: ArgumentHelp(Wording.pskIdentityHelp))
    package var pskIdentity: String?

    @Option(name: .customLong("psk-key"), help: "DTLS PSK key as text.")
    package var pskKey: String?

    @Option(name: .customLong("psk-key-hex"), help: "DTLS PSK key as hex digits.")
    package var pskKeyHex: String?

    @Option(name: .customLong("psk-key-file"), help: "Read the DTLS PSK key's bytes from a file.")
    package var pskKeyFile: String?

    @Option(name: .customLong("cert"), help: "Client certificate (PEM file) for DTLS with certificates.")
    package var certificate: String?

    @Option(name: .customLong("key"), help: "Private key of --cert (PEM file).")
    package var privateKey: String?

    @Option(name: .customLong("ca"), help: ArgumentHelp(Wording.caHelp))
    package var ca: String?

    @Flag(help: ArgumentHelp(Wording.insecureHelp))
    package var insecure = false

    @Option(name: .customLong("handshake-timeout"), help: ArgumentHelp(Wording.handshakeTimeoutHelp))
    package var handshakeTimeout: Double = 5

    package init() {}

    private var keys: [String?] { [pskKey, pskKeyHex, pskKeyFile] }

    /// Whether a PSK key or a certificate option was given.
    package var givesCredentials: Bool { keys.contains { $0 != nil } || certificate != nil || ca != nil || insecure }

    /// Refuses options that cannot go together: several keys, an identity without a key (and,
    /// when `keyNeedsIdentity`, a key without an identity), PSK and certificates at once, `--cert`
    /// without `--key` or the reverse, a handshake timeout that is not positive.
    package func check(keyNeedsIdentity: Bool = true) throws {
        try PSKKeyInput.check(identity: pskIdentity, keys: keys, keyNeedsIdentity: keyNeedsIdentity)
        let usesCertificates = certificate != nil || privateKey != nil || ca != nil || insecure
        if keys.contains(where: { $0 != nil }) && usesCertificates { throw ValidationError("use PSK or certificates, not both") }
        if (certificate == nil) != (privateKey == nil) { throw ValidationError("--cert and --key go together") }
        guard handshakeTimeout > 0 else { throw ValidationError("--handshake-timeout must be positive") }
    }

    /// The client's DTLS set-up, or nil when no DTLS option was given. A PSK key without
    /// `--psk-identity` goes with `defaultIdentity`.
    package func configuration(defaultIdentity: String? = nil) throws(CoAPError) -> DTLSClientConfiguration? {
        let timeout = Duration.milliseconds(Int64(handshakeTimeout * 1000))
        if keys.contains(where: { $0 != nil }) {
            let key = try PSKKeyInput.load(text: pskKey, hex: pskKeyHex, file: pskKeyFile)
            return try .psk(identity: pskIdentity ?? defaultIdentity ?? "", key: key, handshakeTimeout: timeout)
        }
        if certificate != nil || ca != nil || insecure {
            let credentials = PKIClientCredentials(
                certificate: certificate.map(PEMSource.file), privateKey: privateKey.map(PEMSource.file),
                trustedCA: ca.map(PEMSource.file), insecure: insecure)
            return .certificate(credentials, handshakeTimeout: timeout)
        }
        return nil
    }
}
