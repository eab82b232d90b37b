import ArgumentParser
import DeviceRegistry
import Foundation
import LibCrypto

/// Validity options for one credential.
struct ValidityOptions: ParsableArguments {
    @Option(name: .customLong("not-before"), help: "Valid from this time (2025-01-31 or 2025-01-31T12:00:00Z).")
    var notBefore: String?
    @Option(name: .customLong("not-after"), help: "Valid until this time.")
    var notAfter: String?

    var window: (Date?, Date?) {
        get throws {
            (try notBefore.map { try CLI.parseTime($0, option: "--not-before") },
             try notAfter.map { try CLI.parseTime($0, option: "--not-after") })
        }
    }
}

struct PSKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "psk", abstract: "DTLS pre-shared keys.", subcommands: [PSKAddCommand.self])
}

struct PSKAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a PSK to a device (a generated key is printed once).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Option(help: "The PSK identity (at most 64 bytes, no NUL; default: the device id).") var identity: String?
    @Option(name: .customLong("key"), help: "The key as text.") var key: String?
    @Option(name: .customLong("key-hex"), help: "The key as hex digits.") var keyHex: String?
    @Option(name: .customLong("key-file"), help: "A file holding the key's bytes.") var keyFile: String?
    @Flag(help: "Generate a 16-byte key and print it once.") var generate = false
    @OptionGroup var validity: ValidityOptions

    func validate() throws {
        let sources = [key, keyHex, keyFile].compactMap { $0 }.count + (generate ? 1 : 0)
        guard sources == 1 else { throw ValidationError("give exactly one of --key, --key-hex, --key-file, --generate") }
    }

    func run() throws {
        try CLI.run {
            let bytes = try SecretInputs.pskKey(text: key, hex: keyHex, file: keyFile) ?? DeviceRegistry.generatePSKKey()
            let (notBefore, notAfter) = try validity.window
            let registry = try store.open()
            defer { registry.close() }
            let credential = try registry.addPSK(deviceID: device, identity: identity ?? device, key: bytes, notBefore: notBefore, notAfter: notAfter)
            print("added psk \(credential.label) to \(device) (credential \(credential.id))")
            if generate { SecretInputs.printGeneratedPSK(identity: identity ?? device, key: bytes) }
        }
    }
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cert", abstract: "X.509 certificates.", subcommands: [CertAddCommand.self])
}

struct CertAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Map a certificate (PEM file, fingerprint or subject) to a device.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Option(name: .customLong("cert"), help: "The certificate in PEM: its SHA-256 fingerprint, subject and validity are registered.") var certificate: String?
    @Option(help: "The SHA-256 fingerprint (64 hex digits, colons allowed).") var fingerprint: String?
    @Option(help: "The subject common name (alone: any CA-verified certificate with this name).") var subject: String?
    @OptionGroup var validity: ValidityOptions

    func validate() throws {
        if certificate != nil && fingerprint != nil { throw ValidationError("give --cert or --fingerprint, not both") }
        if certificate == nil && fingerprint == nil && subject == nil { throw ValidationError("give --cert, --fingerprint or --subject") }
    }

    func run() throws {
        try CLI.run {
            let (notBefore, notAfter) = try validity.window
            var request: DeviceProvisioning.Certificate
            if let certificate {
                request = try DeviceProvisioning.Certificate(pem: CLI.readText(certificate, what: "certificate file"))
                if let subject { request.subject = subject }
            } else {
                request = .init(fingerprint: fingerprint, subject: subject)
            }
            let registry = try store.open()
            defer { registry.close() }
            let credential = try registry.addCertificate(
                deviceID: device, fingerprint: request.fingerprint, subject: request.subject,
                notBefore: notBefore ?? request.notBefore, notAfter: notAfter ?? request.notAfter)
            print("added x509 \(credential.label) to \(device) (credential \(credential.id))")
        }
    }
}

struct SealingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sealing", abstract: "Payload sealing secrets.", subcommands: [SealingAddCommand.self])
}

struct SealingAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a sealing secret to a device: read from --secret-file, or --generate one.",
        discussion: "With --generate and --secret-file, the new secret is written to that file (mode 0600, never overwritten); with --generate alone it is printed once.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Option(help: "The kid in hex (default: 4 random bytes).") var kid: String?
    @Option(name: .customLong("secret-file"), help: "The secret file (64 hex digits): read, or written with --generate.") var secretFile: String?
    @Flag(help: "Generate the secret.") var generate = false
    @Option(name: .customLong("alg"), help: "COSE algorithm: 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM).") var algorithm = 10
    @OptionGroup var validity: ValidityOptions

    func validate() throws {
        if secretFile == nil && !generate { throw ValidationError("give --secret-file, or --generate") }
    }

    func run() throws {
        try CLI.run {
            let (notBefore, notAfter) = try validity.window
            let kidBytes = try kid.map { try CLI.parseHex($0, option: "--kid") }
            let secret: [UInt8]
            if generate {
                secret = try DeviceRegistry.generateSealingSecret()
                if let secretFile { try SecretInputs.writeSealingSecret(secret, to: secretFile) }
            } else {
                secret = try SecretInputs.sealingSecret(file: secretFile!)
            }
            let credential: Credential
            do {
                let registry = try store.open()
                defer { registry.close() }
                credential = try registry.addSealingSecret(
                    deviceID: device, kid: kidBytes, secret: secret, algorithm: algorithm, notBefore: notBefore, notAfter: notAfter)
            } catch {
                if generate, let secretFile { try? FileManager.default.removeItem(atPath: secretFile) }
                throw error
            }
            print("added sealing kid \(credential.kidHex ?? "") to \(device) (credential \(credential.id))")
            if generate {
                if let secretFile {
                    print("wrote the sealing secret to \(secretFile) (mode 0600)")
                } else {
                    SecretInputs.printGeneratedSealingSecret(kid: credential.kid ?? [], secret: secret)
                }
            }
        }
    }
}

struct CredentialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential", abstract: "List, retire, revoke, re-activate and remove credentials.",
        subcommands: [CredentialListCommand.self, CredentialStatusCommand.self, CredentialRemoveCommand.self])
}

struct CredentialListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "A device's credentials (never secrets).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The device id.") var device: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let credentials = try registry.credentials(forDevice: device)
            if json { return try CLI.printJSON(credentials) }
            CLI.printTable(
                ["ID", "KIND", "STATUS", "NOT BEFORE", "NOT AFTER", "NAME"],
                credentials.map { [$0.id, $0.kind.rawValue, $0.status.rawValue, CLI.format($0.notBefore), CLI.format($0.notAfter), $0.label] })
        }
    }
}

struct CredentialStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-status", abstract: "Set a credential's status: active, retired (with --grace) or revoked.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The credential id.") var credential: String
    @Argument(help: "active, retired or revoked.") var statusName: String

    func validate() throws {
        guard CredentialStatus(rawValue: statusName) != nil else { throw ValidationError("the status is active, retired or revoked") }
    }
    @Option(help: "For retired: seconds it keeps working.") var grace: Double = 0
    @Option(help: "Why (recorded in the audit log).") var reason: String?

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let status = CredentialStatus(rawValue: statusName)!
            try registry.setCredentialStatus(
                status, credentialID: credential, graceUntil: status == .retired ? Date().addingTimeInterval(grace) : nil, reason: reason)
            print("credential \(credential) is \(status.rawValue)")
        }
    }
}

struct CredentialRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a credential.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The credential id.") var credential: String
    @Option(help: "Why (recorded in the audit log).") var reason: String?

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            try registry.removeCredential(credential, reason: reason)
            print("removed credential \(credential)")
        }
    }
}
