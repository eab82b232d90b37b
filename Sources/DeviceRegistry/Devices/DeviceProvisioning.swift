public import Foundation
internal import LibCrypto

/// Everything to set up a new device in one transaction, for
/// ``DeviceRegistry/provision(_:)``: the device, optionally a PSK, a certificate, a sealing secret,
/// and access rules. Either all of it is stored or nothing is.
///
/// `description` never shows the secrets.
public struct DeviceProvisioning: Sendable, CustomStringConvertible {
    /// A DTLS PSK to add.
    public struct PSK: Sendable {
        public var identity: String
        public var key: [UInt8]
        public init(identity: String, key: [UInt8]) {
            self.identity = identity
            self.key = key
        }
    }

    /// An X.509 credential to add (a fingerprint and/or a subject common name).
    public struct Certificate: Sendable {
        public var fingerprint: String?
        public var subject: String?
        public var notBefore: Date?
        public var notAfter: Date?
        public init(fingerprint: String?, subject: String?, notBefore: Date? = nil, notAfter: Date? = nil) {
            self.fingerprint = fingerprint
            self.subject = subject
            self.notBefore = notBefore
            self.notAfter = notAfter
        }

        /// The fingerprint, subject and validity of a PEM certificate.
        public init(pem: String) throws {
            let certificate = try PEMCertificate(pem: pem)
            self.init(
                fingerprint: certificate.sha256Fingerprint, subject: certificate.subjectCommonName,
                notBefore: certificate.notBefore, notAfter: certificate.notAfter)
        }
    }

    /// A sealing secret to add (kid nil: a new random 4-byte kid).
    public struct Sealing: Sendable {
        public var kid: [UInt8]?
        public var secret: [UInt8]
        public var algorithm: Int
        public init(kid: [UInt8]?, secret: [UInt8], algorithm: Int = 10) {
            self.kid = kid
            self.secret = secret
            self.algorithm = algorithm
        }
    }

    public var id: String
    public var labels: [String: String] = [:]
    public var requireSealedReadings = true
    public var isAdmin = false
    public var firmwareVersion: String?
    public var psk: PSK?
    public var certificate: Certificate?
    public var sealing: Sealing?
    /// Validity of the PSK and sealing credentials.
    public var notBefore: Date?
    public var notAfter: Date?
    /// Allow rules as `"METHODS PATH"` strings.
    public var allow: [String] = []

    public init(id: String) { self.id = id }

    public var description: String { "DeviceProvisioning(\(id), secrets redacted)" }
}

/// What ``DeviceRegistry/provision(_:)`` stored.
public struct ProvisionedDevice: Sendable {
    public var device: Device
    public var credentials: [Credential]
    public var rules: [AccessRule]
}

extension DeviceRegistry {
    /// Adds a device with its credentials and allow rules in one transaction: every input is
    /// checked first, and a duplicate id, identity, kid or fingerprint refuses the whole request.
    @discardableResult
    public func provision(_ request: DeviceProvisioning) throws -> ProvisionedDevice {
        try InputValidation.checkDeviceID(request.id)
        try InputValidation.checkLabels(request.labels)
        if let version = request.firmwareVersion { try InputValidation.checkFirmwareVersion(version) }
        try InputValidation.checkValidity(notBefore: request.notBefore, notAfter: request.notAfter)
        if let psk = request.psk {
            try InputValidation.checkPSKIdentity(psk.identity)
            try InputValidation.checkPSKKey(count: psk.key.count)
        }
        var fingerprint: String? = nil
        if let certificate = request.certificate {
            fingerprint = try certificate.fingerprint.map(InputValidation.normalizeFingerprint)
            if let subject = certificate.subject { try InputValidation.checkSubject(subject) }
            guard fingerprint != nil || certificate.subject != nil else {
                throw DeviceRegistryError(.invalidArgument, "an X.509 credential needs a fingerprint or a subject")
            }
            try InputValidation.checkValidity(notBefore: certificate.notBefore, notAfter: certificate.notAfter)
        }
        if let sealing = request.sealing {
            if let kid = sealing.kid { try InputValidation.checkKid(kid) }
            try InputValidation.checkSealing(secretCount: sealing.secret.count, algorithm: sealing.algorithm)
        }
        let rules = try request.allow.map(AccessRule.parseSpecification)

        return try change { transaction in
            let now = Date().roundedToMilliseconds
            let device = Device(
                id: request.id, createdAt: now, firmwareVersion: request.firmwareVersion, labels: request.labels,
                requireSealedReadings: request.requireSealedReadings, isAdmin: request.isAdmin)
            try transaction.insertDevice(device)
            try appendAudit(
                transaction, .deviceAdded, deviceID: device.id,
                detail: "added (sealed readings \(device.requireSealedReadings ? "required" : "optional"), admin \(device.isAdmin))\(Self.describe(device.labels))")
            var credentials: [Credential] = []
            if let psk = request.psk {
                let credential = Credential(
                    id: try Self.newID(), deviceID: device.id, kind: .psk, pskIdentity: psk.identity,
                    notBefore: request.notBefore, notAfter: request.notAfter, createdAt: now)
                try insert(credential, secret: SecureBytes(psk.key), in: transaction)
                credentials.append(credential)
            }
            if let certificate = request.certificate {
                let credential = Credential(
                    id: try Self.newID(), deviceID: device.id, kind: .x509, fingerprint: fingerprint, subject: certificate.subject,
                    notBefore: certificate.notBefore, notAfter: certificate.notAfter, createdAt: now)
                try insert(credential, secret: nil, in: transaction)
                credentials.append(credential)
            }
            if let sealing = request.sealing {
                let credential = Credential(
                    id: try Self.newID(), deviceID: device.id, kind: .sealing, kid: try sealing.kid ?? newKid(in: transaction),
                    algorithm: sealing.algorithm, notBefore: request.notBefore, notAfter: request.notAfter, createdAt: now)
                try insert(credential, secret: SecureBytes(sealing.secret), in: transaction)
                credentials.append(credential)
            }
            for credential in credentials {
                try appendAudit(
                    transaction, .credentialAdded, deviceID: device.id,
                    detail: "\(credential.kind.rawValue) \(credential.id) \(credential.label)\(Self.describe(credential.notBefore, credential.notAfter))")
            }
            var added: [AccessRule] = []
            for (methods, pattern) in rules where !added.contains(where: { $0.methods == methods && $0.pattern == pattern }) {
                let rule = AccessRule(id: try Self.newID(), deviceID: device.id, methods: methods, pattern: pattern, effect: .allow, createdAt: now)
                try transaction.insertRule(rule)
                try appendAudit(transaction, .ruleAdded, deviceID: device.id, detail: "allow \(rule.specification) (\(rule.id))")
                added.append(rule)
            }
            return ProvisionedDevice(device: device, credentials: credentials.map(\.rounded), rules: added)
        }
    }
}
