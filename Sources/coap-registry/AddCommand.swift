import ArgumentParser
import DeviceRegistry
import Foundation
import LibCrypto

struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a device with its credentials and allow rules, all at once or not at all.",
        discussion: """
            A generated PSK key or sealing secret is printed once, in the form the coap and coap-node \
            tools take. Example:
              coap-registry add dev-1 --generate-psk --generate-sealing-key --allow "POST /readings"
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "The device id (printable, at most 64 bytes, no spaces or '/').")
    var device: String

    @Option(name: .customLong("psk-identity"), help: "DTLS PSK identity (at most 64 bytes; default: the device id).")
    var pskIdentity: String?
    @Option(name: .customLong("psk-key"), help: "DTLS PSK key as text.")
    var pskKey: String?
    @Option(name: .customLong("psk-key-hex"), help: "DTLS PSK key as hex digits.")
    var pskKeyHex: String?
    @Option(name: .customLong("psk-key-file"), help: "A file holding the DTLS PSK key's bytes.")
    var pskKeyFile: String?
    @Flag(name: .customLong("generate-psk"), help: "Generate a 16-byte PSK key and print it once.")
    var generatePSK = false

    @Option(name: .customLong("cert-file"), help: "The device's certificate (PEM): its SHA-256 fingerprint, subject and validity are registered.")
    var certFile: String?
    @Option(name: .customLong("fingerprint"), help: "The SHA-256 fingerprint of the device's certificate (64 hex digits, colons allowed).")
    var fingerprint: String?
    @Option(name: .customLong("subject"), help: "The certificate subject common name (alone: any CA-verified certificate with this name).")
    var subject: String?

    @Option(name: .customLong("sealing-secret-file"), help: "A sealing secret file (64 hex digits).")
    var sealingSecretFile: String?
    @Flag(name: .customLong("generate-sealing-key"), help: "Generate a sealing secret and print it once (or write it with --write-sealing-secret).")
    var generateSealingKey = false
    @Option(name: .customLong("write-sealing-secret"), help: "With --generate-sealing-key: write the secret to this new file (mode 0600) instead of printing it.")
    var writeSealingSecret: String?
    @Option(name: .customLong("kid"), help: "The sealing kid in hex (default: 4 random bytes).")
    var kid: String?
    @Option(name: .customLong("alg"), help: "The sealing COSE algorithm: 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM).")
    var algorithm: Int = 10

    @Option(name: .customLong("allow"), help: "An allow rule \"METHODS PATH\", e.g. \"GET,POST /readings/{device}\" (repeatable).")
    var allow: [String] = []
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []
    @Option(name: .customLong("firmware"), help: "The firmware version the device runs.")
    var firmware: String?
    @Flag(name: .customLong("optional-sealing"), help: "Accept the device's readings unsealed over DTLS (default: sealing required).")
    var optionalSealing = false
    @Flag(name: .customLong("admin"), help: "Let the device use administrative resources.")
    var admin = false
    @Option(name: .customLong("not-before"), help: "The PSK and sealing secret are valid from this time.")
    var notBefore: String?
    @Option(name: .customLong("not-after"), help: "The PSK and sealing secret are valid until this time.")
    var notAfter: String?

    func validate() throws {
        let pskSources = [pskKey, pskKeyHex, pskKeyFile].compactMap { $0 }.count + (generatePSK ? 1 : 0)
        if pskSources > 1 { throw ValidationError("give one of --psk-key, --psk-key-hex, --psk-key-file, --generate-psk") }
        if pskIdentity != nil && pskSources == 0 { throw ValidationError("--psk-identity needs a key (--psk-key, --psk-key-hex, --psk-key-file or --generate-psk)") }
        if certFile != nil && fingerprint != nil { throw ValidationError("give --cert-file or --fingerprint, not both") }
        if sealingSecretFile != nil && generateSealingKey { throw ValidationError("give --sealing-secret-file or --generate-sealing-key, not both") }
        if writeSealingSecret != nil && !generateSealingKey { throw ValidationError("--write-sealing-secret goes with --generate-sealing-key") }
        if kid != nil && sealingSecretFile == nil && !generateSealingKey { throw ValidationError("--kid needs --sealing-secret-file or --generate-sealing-key") }
    }

    func run() throws {
        try CLI.run {
            var request = DeviceProvisioning(id: device)
            request.labels = try CLI.parseLabels(labels)
            request.firmwareVersion = firmware
            request.requireSealedReadings = !optionalSealing
            request.isAdmin = admin
            request.allow = allow
            request.notBefore = try notBefore.map { try CLI.parseTime($0, option: "--not-before") }
            request.notAfter = try notAfter.map { try CLI.parseTime($0, option: "--not-after") }
            var generatedPSK = false
            if let key = try SecretInputs.pskKey(text: pskKey, hex: pskKeyHex, file: pskKeyFile) {
                request.psk = .init(identity: pskIdentity ?? device, key: key)
            } else if generatePSK {
                request.psk = .init(identity: pskIdentity ?? device, key: try DeviceRegistry.generatePSKKey())
                generatedPSK = true
            }
            if let certFile {
                var certificate = try DeviceProvisioning.Certificate(pem: CLI.readText(certFile, what: "certificate file"))
                if let subject { certificate.subject = subject }
                request.certificate = certificate
            } else if fingerprint != nil || subject != nil {
                request.certificate = .init(fingerprint: fingerprint, subject: subject)
            }
            let kidBytes = try kid.map { try CLI.parseHex($0, option: "--kid") }
            if let sealingSecretFile {
                request.sealing = .init(kid: kidBytes, secret: try SecretInputs.sealingSecret(file: sealingSecretFile), algorithm: algorithm)
            } else if generateSealingKey {
                request.sealing = .init(kid: kidBytes, secret: try DeviceRegistry.generateSealingSecret(), algorithm: algorithm)
            }
            // Write the secret file first (it refuses to overwrite); undo it if the registry refuses.
            if let writeSealingSecret, let sealing = request.sealing {
                try SecretInputs.writeSealingSecret(sealing.secret, to: writeSealingSecret)
            }
            let registry = try store.open()
            defer { registry.close() }
            let provisioned: ProvisionedDevice
            do {
                provisioned = try registry.provision(request)
            } catch {
                if let writeSealingSecret { try? FileManager.default.removeItem(atPath: writeSealingSecret) }
                throw error
            }
            print("added device \(provisioned.device.id)")
            for credential in provisioned.credentials {
                print("  \(credential.kind.rawValue) \(credential.label) (credential \(credential.id))")
            }
            for rule in provisioned.rules { print("  allow \(rule.specification)") }
            if generatedPSK, let psk = request.psk { SecretInputs.printGeneratedPSK(identity: psk.identity, key: psk.key) }
            if generateSealingKey, let sealing = request.sealing,
               let credential = provisioned.credentials.first(where: { $0.kind == .sealing }), let kid = credential.kid {
                if let writeSealingSecret {
                    print("wrote the sealing secret for kid \(Hex.encode(kid)) to \(writeSealingSecret) (mode 0600)")
                } else {
                    SecretInputs.printGeneratedSealingSecret(kid: kid, secret: sealing.secret)
                }
            }
        }
    }
}
