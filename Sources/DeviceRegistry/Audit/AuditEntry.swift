public import Foundation

/// One entry of the append-only audit log.
///
/// Entries are numbered from 1 without gaps and chained: ``authenticationCode`` is an HMAC-SHA256,
/// under a key derived from the master key, over the entry's fields and the code of the entry
/// before it (``previousCode``). Editing, inserting or deleting a row breaks the chain, and
/// ``DeviceRegistry/verifyAuditLog()`` says where.
public struct AuditEntry: Sendable, Equatable, Codable {
    /// The position in the log, from 1.
    public var sequence: Int64
    /// When the entry was written (millisecond precision).
    public var time: Date
    /// What happened.
    public var action: AuditAction
    /// The device concerned, if any.
    public var deviceID: String?
    /// Who did it: the user and program for admin changes, the gateway for security events.
    public var actor: String
    /// Details for a person (never a secret).
    public var detail: String
    /// The previous entry's ``authenticationCode`` (32 zero bytes for the first entry).
    public var previousCode: [UInt8]
    /// HMAC-SHA256 over this entry's fields and ``previousCode``.
    public var authenticationCode: [UInt8]

    public init(
        sequence: Int64, time: Date, action: AuditAction, deviceID: String?, actor: String, detail: String,
        previousCode: [UInt8], authenticationCode: [UInt8]
    ) {
        self.sequence = sequence
        self.time = time
        self.action = action
        self.deviceID = deviceID
        self.actor = actor
        self.detail = detail
        self.previousCode = previousCode
        self.authenticationCode = authenticationCode
    }

    private enum CodingKeys: String, CodingKey {
        case sequence, time, action, deviceID, actor, detail
    }

    /// Decodes the readable fields only; the codes are not part of the JSON form.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sequence = try c.decode(Int64.self, forKey: .sequence)
        time = try c.decode(Date.self, forKey: .time)
        action = try c.decode(AuditAction.self, forKey: .action)
        deviceID = try c.decodeIfPresent(String.self, forKey: .deviceID)
        actor = try c.decode(String.self, forKey: .actor)
        detail = try c.decode(String.self, forKey: .detail)
        previousCode = []
        authenticationCode = []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(time, forKey: .time)
        try c.encode(action, forKey: .action)
        try c.encodeIfPresent(deviceID, forKey: .deviceID)
        try c.encode(actor, forKey: .actor)
        try c.encode(detail, forKey: .detail)
    }
}
