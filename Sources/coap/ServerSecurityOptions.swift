import ArgumentParser
import CLIOptions
import CoAP

/// The server's DTLS credentials: PSK identities and keys, and/or a certificate.
struct ServerSecurityOptions: ParsableArguments {
    @Option(name: .customLong("psk"), help: "A client's PSK identity and key as text, ID:KEY (split at the first colon); repeat for more clients.")
    var psk: [String] = []

    @Option(name: .customLong("psk-identity"), help: "A client's PSK identity; its key comes from --psk-key, --psk-key-hex or --psk-key-file.")
    var pskIdentity: String?

    @Option(name: .customLong("psk-key"), help: "The key of --psk-identity as text.")
    var pskKey: String?

    @Option(name: .customLong("psk-key-hex"), help: "The key of --psk-identity as hex digits.")
    var pskKeyHex: String?

    @Option(name: .customLong("psk-key-file"), help: "Read the key of --psk-identity from a file.")
    var pskKeyFile: String?

    @Option(name: .customLong("psk-hint"), help: "PSK identity hint sent to clients (none by default).")
    var pskHint = ""

    @OptionGroup var certificates: ServerCertificateOptions<ServeCertificateWording>

    @Flag(name: .customLong("require-client-cert"), help: "Refuse clients without a certificate from --ca (mutual authentication).")
    var requireClientCertificate = false

    @Option(name: .customLong("handshake-timeout"), help: "Seconds a client's DTLS handshake may take before it is reported as failed.")
    var handshakeTimeout: Double = 10

    var enabled: Bool { !psk.isEmpty || pskIdentity != nil || certificates.certificate != nil }

    func validate() throws {
        try PSKKeyInput.check(identity: pskIdentity, keys: [pskKey, pskKeyHex, pskKeyFile])
        for entry in psk where !entry.contains(":") || entry.hasPrefix(":") || entry.hasSuffix(":") {
            throw ValidationError("--psk takes ID:KEY, both non-empty")
        }
        try certificates.checkPairing()
        if certificates.certificate == nil && (certificates.ca != nil || requireClientCertificate) { throw ValidationError("--ca and --require-client-cert need --cert and --key") }
        if requireClientCertificate && certificates.ca == nil { throw ValidationError("--require-client-cert needs --ca") }
        guard handshakeTimeout > 0 else { throw ValidationError("--handshake-timeout must be positive") }
    }

    /// The DTLS set-up, or nil when no credentials were given.
    func configuration(onHandshake: @escaping @Sendable (DTLSHandshakeEvent) -> Void) throws -> DTLSServerConfiguration? {
        guard enabled else { return nil }
        var keys: [PSKIdentity: PSKKey] = [:]
        do throws(CoAPError) {
            for entry in psk {
                let colon = entry.firstIndex(of: ":")!
                keys[try PSKIdentity(String(entry[..<colon]))] = try PSKKey(text: String(entry[entry.index(after: colon)...]))
            }
            if let pskIdentity {
                keys[try PSKIdentity(pskIdentity)] = try PSKKeyInput.load(text: pskKey, hex: pskKeyHex, file: pskKeyFile)
            }
        } catch {
            throw CLIFailure(error.message, exitCode: CLI.usageStatus)
        }
        var configuration = DTLSServerConfiguration(
            handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)), onHandshake: onHandshake)
        if !keys.isEmpty {
            let table = keys
            configuration.psk = .init(hint: pskHint) { identity, _ in
                table[identity].map { DTLSServerConfiguration.PSKMatch(key: $0, identity: identity.text) }
            }
        }
        if let files = certificates.files() {
            configuration.pki = .init(
                certificate: files.certificate, privateKey: files.privateKey, trustedCA: files.trustedCA,
                requireClientCertificate: requireClientCertificate,
                identify: { certificate, _ in certificate.commonName.isEmpty ? certificate.sha256Fingerprint : certificate.commonName })
        }
        return configuration
    }
}
