public import Foundation
internal import LibCrypto

extension DeviceRegistry {
    /// The length of a generated PSK key: 16 bytes (the most tinydtls-based devices accept).
    public static let generatedPSKKeyLength = 16

    /// A random PSK key of `length` bytes.
    public static func generatePSKKey(length: Int = generatedPSKKeyLength) throws -> [UInt8] {
        try InputValidation.checkPSKKey(count: length)
        return try random(length)
    }

    /// A random 32-byte sealing secret.
    public static func generateSealingSecret() throws -> [UInt8] {
        try random(InputValidation.sealingSecretLength)
    }

    static func random(_ count: Int) throws -> [UInt8] {
        do {
            return try SecureRandom.bytes(count: count)
        } catch {
            throw DeviceRegistryError(.storage, "cannot generate random bytes: \(error)")
        }
    }

    // MARK: Adding

    /// Adds a DTLS PSK credential. The identity (see ``InputValidation/checkPSKIdentity(_:)``) must
    /// not be registered already; the key has 16 to 64 bytes and is stored encrypted.
    @discardableResult
    public func addPSK(deviceID: String, identity: String, key: [UInt8], notBefore: Date? = nil, notAfter: Date? = nil) throws -> Credential {
        try InputValidation.checkPSKIdentity(identity)
        try InputValidation.checkPSKKey(count: key.count)
        try InputValidation.checkValidity(notBefore: notBefore, notAfter: notAfter)
        return try change { transaction in
            _ = try Self.existingDevice(deviceID, in: transaction)
            let credential = Credential(
                id: try Self.newID(), deviceID: deviceID, kind: .psk, pskIdentity: identity,
                notBefore: notBefore, notAfter: notAfter, createdAt: Date())
            try insert(credential, secret: SecureBytes(key), in: transaction)
            try appendAudit(transaction, .credentialAdded, deviceID: deviceID, detail: "psk \(credential.id) identity \(SecurityEvent.quoted(identity))\(Self.describe(notBefore, notAfter))")
            return credential
        }
    }

    /// Adds an X.509 credential: a SHA-256 fingerprint (64 hex digits, colons allowed) and/or a
    /// subject common name. With a fingerprint, lookups match the fingerprint; with a subject only,
    /// any certificate (already verified against the gateway's CA) with that subject matches.
    @discardableResult
    public func addCertificate(
        deviceID: String, fingerprint: String?, subject: String? = nil, notBefore: Date? = nil, notAfter: Date? = nil
    ) throws -> Credential {
        let fingerprint = try fingerprint.map(InputValidation.normalizeFingerprint)
        if let subject { try InputValidation.checkSubject(subject) }
        guard fingerprint != nil || subject != nil else {
            throw DeviceRegistryError(.invalidArgument, "an X.509 credential needs a fingerprint or a subject")
        }
        try InputValidation.checkValidity(notBefore: notBefore, notAfter: notAfter)
        return try change { transaction in
            _ = try Self.existingDevice(deviceID, in: transaction)
            let credential = Credential(
                id: try Self.newID(), deviceID: deviceID, kind: .x509, fingerprint: fingerprint, subject: subject,
                notBefore: notBefore, notAfter: notAfter, createdAt: Date())
            try insert(credential, secret: nil, in: transaction)
            try appendAudit(transaction, .credentialAdded, deviceID: deviceID, detail: "x509 \(credential.id) \(credential.label)\(Self.describe(notBefore, notAfter))")
            return credential
        }
    }

    /// Adds an X.509 credential from a PEM certificate: its SHA-256 fingerprint, its subject common
    /// name, and (unless given) its validity period. Throws ``DeviceRegistryError/Code/invalidArgument``
    /// for malformed PEM.
    @discardableResult
    public func addCertificate(deviceID: String, pem: String, notBefore: Date? = nil, notAfter: Date? = nil) throws -> Credential {
        let certificate = try PEMCertificate(pem: pem)
        return try addCertificate(
            deviceID: deviceID, fingerprint: certificate.sha256Fingerprint, subject: certificate.subjectCommonName,
            notBefore: notBefore ?? certificate.notBefore, notAfter: notAfter ?? certificate.notAfter)
    }

    /// Adds a sealing secret: a kid (nil: a new random 4-byte kid), a 32-byte secret (stored
    /// encrypted) and a COSE algorithm (10, 1 or 3). The kid must not be registered already.
    @discardableResult
    public func addSealingSecret(
        deviceID: String, kid: [UInt8]?, secret: [UInt8], algorithm: Int = 10, notBefore: Date? = nil, notAfter: Date? = nil
    ) throws -> Credential {
        if let kid { try InputValidation.checkKid(kid) }
        try InputValidation.checkSealing(secretCount: secret.count, algorithm: algorithm)
        try InputValidation.checkValidity(notBefore: notBefore, notAfter: notAfter)
        return try change { transaction in
            _ = try Self.existingDevice(deviceID, in: transaction)
            let credential = Credential(
                id: try Self.newID(), deviceID: deviceID, kind: .sealing, kid: try kid ?? newKid(in: transaction),
                algorithm: algorithm, notBefore: notBefore, notAfter: notAfter, createdAt: Date())
            try insert(credential, secret: SecureBytes(secret), in: transaction)
            try appendAudit(transaction, .credentialAdded, deviceID: deviceID, detail: "sealing \(credential.id) \(credential.label) alg \(algorithm)\(Self.describe(notBefore, notAfter))")
            return credential
        }
    }

    /// Checks uniqueness, encrypts the secret and stores the credential.
    func insert(_ credential: Credential, secret: SecureBytes?, in transaction: any DeviceStoreTransaction) throws {
        try checkUnique(credential, in: transaction)
        let sealed = try secret.map { try SecretBox(key: key).seal($0, deviceID: credential.deviceID, credentialID: credential.id) }
        try transaction.insertCredential(StoredCredential(credential: credential, sealedSecret: sealed))
    }

    /// Refuses a PSK identity, kid, fingerprint or subject-only name that is registered already.
    func checkUnique(_ credential: Credential, in transaction: any DeviceStoreTransaction) throws {
        switch credential.kind {
        case .psk:
            if let identity = credential.pskIdentity, let other = try transaction.credentials(matching: .pskIdentity(identity)).first {
                throw DeviceRegistryError(
                    .alreadyExists, "PSK identity \(SecurityEvent.quoted(identity)) is already registered (device \(other.credential.deviceID))")
            }
        case .sealing:
            if let kid = credential.kid, let other = try transaction.credentials(matching: .kid(kid)).first {
                throw DeviceRegistryError(.alreadyExists, "kid \(Hex.encode(kid)) is already registered (device \(other.credential.deviceID))")
            }
        case .x509:
            if let fingerprint = credential.fingerprint, let other = try transaction.credentials(matching: .fingerprint(fingerprint)).first {
                throw DeviceRegistryError(
                    .alreadyExists, "certificate \(fingerprint.prefix(16))… is already registered (device \(other.credential.deviceID))")
            }
            if credential.fingerprint == nil, let subject = credential.subject,
               let other = try transaction.credentials(matching: .subject(subject)).first(where: { $0.credential.fingerprint == nil }) {
                throw DeviceRegistryError(
                    .alreadyExists, "certificate subject \(SecurityEvent.quoted(subject)) is already registered (device \(other.credential.deviceID))")
            }
        }
    }

    /// A random 4-byte kid not registered yet.
    func newKid(in transaction: any DeviceStoreTransaction) throws -> [UInt8] {
        for _ in 0..<64 {
            let kid = try Self.random(4)
            if try transaction.credentials(matching: .kid(kid)).isEmpty { return kid }
        }
        throw DeviceRegistryError(.storage, "cannot find an unused kid")
    }

    // MARK: Changing

    /// Sets a credential's status. Retiring sets its not-after to `graceUntil` (default: now) unless
    /// it already ends earlier, so it keeps working during the grace period only. A revoked
    /// credential cannot be made active again.
    public func setCredentialStatus(_ status: CredentialStatus, credentialID: String, graceUntil: Date? = nil, reason: String? = nil) throws {
        try change { transaction in
            var stored = try Self.existingCredential(credentialID, in: transaction)
            let old = stored.credential
            guard old.status != status || (status == .retired && graceUntil != nil) else { return }
            if old.status == .revoked {
                throw DeviceRegistryError(.refused, "credential \(credentialID) is revoked; add a new credential instead")
            }
            let now = Date()
            stored.credential.status = status
            if status == .retired {
                let end = graceUntil ?? now
                stored.credential.notAfter = min(old.notAfter ?? end, end)
            }
            stored.credential.updatedAt = now
            try transaction.updateCredential(stored)
            try appendAudit(
                transaction, .credentialStatusChanged, deviceID: old.deviceID,
                detail: "\(old.kind.rawValue) \(credentialID) \(old.status.rawValue) → \(status.rawValue)\(Self.describe(nil, stored.credential.notAfter))\(Self.describe(reason: reason))")
        }
    }

    /// Sets a credential's validity window (nil: unbounded on that side).
    public func setValidity(credentialID: String, notBefore: Date?, notAfter: Date?) throws {
        try InputValidation.checkValidity(notBefore: notBefore, notAfter: notAfter)
        try change { transaction in
            var stored = try Self.existingCredential(credentialID, in: transaction)
            stored.credential.notBefore = notBefore
            stored.credential.notAfter = notAfter
            stored.credential.updatedAt = Date()
            try transaction.updateCredential(stored)
            try appendAudit(
                transaction, .credentialStatusChanged, deviceID: stored.credential.deviceID,
                detail: "\(stored.credential.kind.rawValue) \(credentialID) validity\(Self.describe(notBefore, notAfter).isEmpty ? " unbounded" : Self.describe(notBefore, notAfter))")
        }
    }

    /// Removes a credential.
    public func removeCredential(_ credentialID: String, reason: String? = nil) throws {
        try change { transaction in
            let stored = try Self.existingCredential(credentialID, in: transaction)
            try transaction.deleteCredential(id: credentialID)
            try appendAudit(
                transaction, .credentialRemoved, deviceID: stored.credential.deviceID,
                detail: "\(stored.credential.kind.rawValue) \(credentialID) \(stored.credential.label)\(Self.describe(reason: reason))")
        }
    }

    // MARK: Rotating

    /// Replaces a device's active PSKs with a new one in one transaction: the old ones are retired
    /// and keep working for `grace` seconds. `identity` defaults to the device id (or the device id
    /// and a number, when taken); `key` defaults to a new random 16-byte key.
    public func rotatePSK(deviceID: String, identity: String? = nil, key: [UInt8]? = nil, grace: TimeInterval = 3600) throws -> CredentialRotation {
        if let identity { try InputValidation.checkPSKIdentity(identity) }
        let key = try key ?? Self.generatePSKKey()
        try InputValidation.checkPSKKey(count: key.count)
        return try rotate(deviceID: deviceID, kind: .psk, grace: grace, secret: key) { transaction in
            Credential(
                id: try Self.newID(), deviceID: deviceID, kind: .psk,
                pskIdentity: try identity ?? self.defaultPSKIdentity(for: deviceID, in: transaction), createdAt: Date())
        }
    }

    /// Replaces a device's active sealing secrets with a new one (a new kid, by default random, and
    /// a new secret, by default random): the old ones are retired and still open messages for
    /// `grace` seconds. `algorithm` defaults to that of the newest active secret, else 10.
    public func rotateSealingSecret(
        deviceID: String, kid: [UInt8]? = nil, secret: [UInt8]? = nil, algorithm: Int? = nil, grace: TimeInterval = 3600
    ) throws -> CredentialRotation {
        if let kid { try InputValidation.checkKid(kid) }
        let secret = try secret ?? Self.generateSealingSecret()
        try InputValidation.checkSealing(secretCount: secret.count, algorithm: algorithm ?? 10)
        return try rotate(deviceID: deviceID, kind: .sealing, grace: grace, secret: secret) { transaction in
            let previous = try transaction.credentials(deviceID: deviceID).last { $0.credential.kind == .sealing && $0.credential.status == .active }
            return Credential(
                id: try Self.newID(), deviceID: deviceID, kind: .sealing, kid: try kid ?? self.newKid(in: transaction),
                algorithm: algorithm ?? previous?.credential.algorithm ?? 10, createdAt: Date())
        }
    }

    private func rotate(
        deviceID: String, kind: CredentialKind, grace: TimeInterval, secret: [UInt8],
        makeCredential: (any DeviceStoreTransaction) throws -> Credential
    ) throws -> CredentialRotation {
        guard grace >= 0 else { throw DeviceRegistryError(.invalidArgument, "the grace period cannot be negative") }
        return try change { transaction in
            let device = try Self.existingDevice(deviceID, in: transaction)
            guard device.status != .revoked else {
                throw DeviceRegistryError(.refused, "device \(deviceID) is revoked; its credentials cannot be rotated")
            }
            let now = Date()
            let graceEnd = now.addingTimeInterval(grace)
            var retired: [Credential] = []
            for var stored in try transaction.credentials(deviceID: deviceID)
            where stored.credential.kind == kind && stored.credential.status == .active {
                stored.credential.status = .retired
                stored.credential.notAfter = min(stored.credential.notAfter ?? graceEnd, graceEnd)
                stored.credential.updatedAt = now
                try transaction.updateCredential(stored)
                retired.append(stored.credential)
            }
            let credential = try makeCredential(transaction)
            try insert(credential, secret: SecureBytes(secret), in: transaction)
            let retiredText = retired.isEmpty ? "nothing to retire" : "retired \(retired.map(\.id).joined(separator: ", ")) (grace until \(Self.format(graceEnd)))"
            try appendAudit(
                transaction, .credentialRotated, deviceID: deviceID,
                detail: "\(kind.rawValue): new \(credential.id) \(credential.label); \(retiredText)")
            return CredentialRotation(credential: credential.rounded, secret: secret, retired: retired.map(\.rounded))
        }
    }

    /// The device id if it is free as a PSK identity, else the id and a number (`dev-1.2`), else random hex.
    private func defaultPSKIdentity(for deviceID: String, in transaction: any DeviceStoreTransaction) throws -> String {
        if try transaction.credentials(matching: .pskIdentity(deviceID)).isEmpty { return deviceID }
        for n in 2...999 {
            let candidate = "\(deviceID).\(n)"
            guard candidate.utf8.count <= InputValidation.maximumPSKIdentityLength else { break }
            if try transaction.credentials(matching: .pskIdentity(candidate)).isEmpty { return candidate }
        }
        return Hex.encode(try Self.random(8))
    }

    // MARK: Reading

    /// A device's credentials (without secrets), oldest first.
    public func credentials(forDevice deviceID: String) throws -> [Credential] {
        try store.read { transaction in
            _ = try Self.existingDevice(deviceID, in: transaction)
            return try transaction.credentials(deviceID: deviceID).map(\.credential)
        }
    }

    /// Every credential (without secrets).
    public func allCredentials() throws -> [Credential] {
        try store.read { try $0.credentials().map(\.credential) }
    }

    /// A device's secrets in the clear. Audited (`secret.reveal`) before anything is returned.
    public func revealSecrets(deviceID: String) throws -> [RevealedSecret] {
        let stored = try store.write { transaction in
            _ = try Self.existingDevice(deviceID, in: transaction)
            let stored = try transaction.credentials(deviceID: deviceID).filter { $0.sealedSecret != nil }
            try appendAudit(
                transaction, .secretsRevealed, deviceID: deviceID,
                detail: "revealed \(stored.count) secrets: \(stored.map(\.credential.id).joined(separator: ", "))")
            return stored
        }
        let box = try SecretBox(key: key)
        return try stored.map { item in
            let secret = try box.open(item.sealedSecret!, deviceID: item.credential.deviceID, credentialID: item.credential.id)
            return RevealedSecret(credential: item.credential, secret: secret.withUnsafeBytes { Array($0) })
        }
    }

    static func existingCredential(_ id: String, in transaction: any DeviceStoreTransaction) throws -> StoredCredential {
        guard let stored = try transaction.credential(id: id) else {
            throw DeviceRegistryError(.notFound, "no credential '\(id)'")
        }
        return stored
    }

    static func describe(_ notBefore: Date?, _ notAfter: Date?) -> String {
        var parts: [String] = []
        if let notBefore { parts.append("not before \(format(notBefore))") }
        if let notAfter { parts.append("not after \(format(notAfter))") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
