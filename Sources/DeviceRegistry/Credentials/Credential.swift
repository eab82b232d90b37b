public import Foundation
internal import LibCrypto

/// One credential of a device, without its secret.
///
/// Which fields are set depends on ``kind``: a PSK has ``pskIdentity``; an X.509 credential has
/// ``fingerprint`` and/or ``subject``; a sealing secret has ``kid`` and ``algorithm``. The secret
/// itself (PSK key, sealing secret) is stored encrypted and is never part of this value.
public struct Credential: Sendable, Codable, Equatable, Identifiable {
    /// The credential id: 16 lowercase hex digits, unique in the registry.
    public var id: String
    /// The device holding the credential.
    public var deviceID: String
    /// PSK, X.509 or sealing secret.
    public var kind: CredentialKind
    /// The DTLS PSK identity (kind `.psk`).
    public var pskIdentity: String?
    /// The certificate's SHA-256 fingerprint, 64 lowercase hex digits (kind `.x509`).
    public var fingerprint: String?
    /// The certificate's subject common name (kind `.x509`).
    public var subject: String?
    /// The sealing key id (kind `.sealing`).
    public var kid: [UInt8]?
    /// The COSE algorithm of a sealing secret: 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM).
    public var algorithm: Int?
    /// Not accepted before this time (nil: no lower bound).
    public var notBefore: Date?
    /// Not accepted from this time on (nil: no upper bound).
    public var notAfter: Date?
    /// Active, retired or revoked.
    public var status: CredentialStatus
    /// When the credential was added.
    public var createdAt: Date
    /// When its status or validity last changed.
    public var updatedAt: Date

    public init(
        id: String,
        deviceID: String,
        kind: CredentialKind,
        pskIdentity: String? = nil,
        fingerprint: String? = nil,
        subject: String? = nil,
        kid: [UInt8]? = nil,
        algorithm: Int? = nil,
        notBefore: Date? = nil,
        notAfter: Date? = nil,
        status: CredentialStatus = .active,
        createdAt: Date = Date(),
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.deviceID = deviceID
        self.kind = kind
        self.pskIdentity = pskIdentity
        self.fingerprint = fingerprint
        self.subject = subject
        self.kid = kid
        self.algorithm = algorithm
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// Whether the credential is accepted at `now`: not revoked and inside its validity window.
    public func isUsable(at now: Date) -> Bool {
        guard status != .revoked else { return false }
        if let notBefore, now < notBefore { return false }
        if let notAfter, now >= notAfter { return false }
        return true
    }

    /// The kid as lowercase hex, for display.
    public var kidHex: String? { kid.map { Hex.encode($0) } }

    /// What names the credential in listings: the PSK identity, the kid in hex, or the fingerprint
    /// (or subject).
    public var label: String {
        switch kind {
        case .psk: pskIdentity ?? ""
        case .sealing: kidHex.map { "kid \($0)" } ?? ""
        case .x509:
            [fingerprint.map { "sha256 \($0)" }, subject.map { "CN=\($0)" }].compactMap { $0 }.joined(separator: " ")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id, deviceID, kind, pskIdentity, fingerprint, subject, kid, algorithm, notBefore, notAfter, status, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        deviceID = try c.decode(String.self, forKey: .deviceID)
        kind = try c.decode(CredentialKind.self, forKey: .kind)
        pskIdentity = try c.decodeIfPresent(String.self, forKey: .pskIdentity)
        fingerprint = try c.decodeIfPresent(String.self, forKey: .fingerprint)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        if let kidText = try c.decodeIfPresent(String.self, forKey: .kid) {
            guard let bytes = try? Hex.decode(kidText) else {
                throw DecodingError.dataCorruptedError(forKey: .kid, in: c, debugDescription: "kid is not hex")
            }
            kid = bytes
        } else {
            kid = nil
        }
        algorithm = try c.decodeIfPresent(Int.self, forKey: .algorithm)
        notBefore = try c.decodeIfPresent(Date.self, forKey: .notBefore)
        notAfter = try c.decodeIfPresent(Date.self, forKey: .notAfter)
        status = try c.decode(CredentialStatus.self, forKey: .status)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    /// Encodes the kid as hex (JSON readers expect text, not an array of numbers).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(deviceID, forKey: .deviceID)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(pskIdentity, forKey: .pskIdentity)
        try c.encodeIfPresent(fingerprint, forKey: .fingerprint)
        try c.encodeIfPresent(subject, forKey: .subject)
        try c.encodeIfPresent(kidHex, forKey: .kid)
        try c.encodeIfPresent(algorithm, forKey: .algorithm)
        try c.encodeIfPresent(notBefore, forKey: .notBefore)
        try c.encodeIfPresent(notAfter, forKey: .notAfter)
        try c.encode(status, forKey: .status)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
