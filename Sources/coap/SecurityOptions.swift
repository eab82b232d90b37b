import ArgumentParser
import CoAP

/// DTLS options for `coaps://` URIs.
struct SecurityOptions: ParsableArguments {
    @Option(name: .customLong("psk-identity"), help: "DTLS PSK identity (at most 64 bytes, no NUL).")
    var pskIdentity: String?

    @Option(name: .customLong("psk-key"), help: "DTLS PSK key as text.")
    var pskKey: String?

    @Option(name: .customLong("psk-key-hex"), help: "DTLS PSK key as hex digits.")
    var pskKeyHex: String?

    @Option(name: .customLong("psk-key-file"), help: "Read the DTLS PSK key's bytes from a file.")
    var pskKeyFile: String?

    @Option(name: .customLong("cert"), help: "Client certificate (PEM file) for DTLS with certificates.")
    var certificate: String?

    @Option(name: .customLong("key"), help: "Private key of --cert (PEM file).")
    var privateKey: String?

    @Option(name: .customLong("ca"), help: "CA certificate (PEM file) the server's chain must lead to.")
    var ca: String?

    @Flag(help: "Accept any server certificate (no CA, no name check). For experiments only.")
    var insecure = false

    @Option(name: .customLong("handshake-timeout"), help: "Seconds a DTLS handshake may take (a wrong PSK key is noticed only this way).")
    var handshakeTimeout: Double = 5

    func validate() throws {
        try Self.validatePSKKeyOptions(identity: pskIdentity, keys: [pskKey, pskKeyHex, pskKeyFile])
        let usesCertificates = certificate != nil || privateKey != nil || ca != nil || insecure
        if pskIdentity != nil && usesCertificates { throw ValidationError("use PSK or certificates, not both") }
        if (certificate == nil) != (privateKey == nil) { throw ValidationError("--cert and --key go together") }
        guard handshakeTimeout > 0 else { throw ValidationError("--handshake-timeout must be positive") }
    }

    /// The client's DTLS set-up, or nil when no DTLS option was given.
    func configuration() throws -> DTLSClientConfiguration? {
        let timeout = Duration.milliseconds(Int64(handshakeTimeout * 1000))
        do throws(CoAPError) {
            if let pskIdentity {
                let key = try Self.loadPSKKey(text: pskKey, hex: pskKeyHex, file: pskKeyFile)
                return try .psk(identity: pskIdentity, key: key, handshakeTimeout: timeout)
            }
            if certificate != nil || ca != nil || insecure {
                let credentials = PKIClientCredentials(
                    certificate: certificate.map(PEMSource.file), privateKey: privateKey.map(PEMSource.file),
                    trustedCA: ca.map(PEMSource.file), insecure: insecure)
                return .certificate(credentials, handshakeTimeout: timeout)
            }
            return nil
        } catch {
            throw CLIFailure(error.message, exitCode: CLI.usageStatus)
        }
    }

    /// `--psk-identity` with exactly one of `--psk-key`, `--psk-key-hex`, `--psk-key-file` (shared
    /// with `coap serve`).
    static func validatePSKKeyOptions(identity: String?, keys: [String?]) throws {
        let given = keys.compactMap { $0 }
        if given.count > 1 { throw ValidationError("give one of --psk-key, --psk-key-hex, --psk-key-file") }
        if identity != nil && given.isEmpty { throw ValidationError("--psk-identity needs a key (--psk-key, --psk-key-hex or --psk-key-file)") }
        if identity == nil && !given.isEmpty { throw ValidationError("a PSK key needs --psk-identity") }
    }

    /// The key from whichever of `--psk-key`, `--psk-key-hex`, `--psk-key-file` was given.
    static func loadPSKKey(text: String?, hex: String?, file: String?) throws(CoAPError) -> PSKKey {
        if let text { return try PSKKey(text: text) }
        if let hex { return try PSKKey(hex: hex) }
        return try PSKKey(contentsOfFile: file ?? "")
    }
}
