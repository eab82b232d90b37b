public import Foundation

/// A security event a gateway reports into the audit log with ``DeviceRegistry/recordSecurityEvent(_:)``.
public struct SecurityEvent: Sendable, Equatable {
    /// The kind of event. Extensible: match with `==` and keep a default branch.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The audit action the event is recorded as.
        public let action: AuditAction

        public init(action: AuditAction) { self.action = action }

        /// A DTLS handshake failed (unknown identity, wrong key, refused certificate).
        public static let handshakeFailure = Kind(action: .handshakeFailure)
        /// A sealed message was a replay (sequence number already seen or below the window).
        public static let replay = Kind(action: .replay)
        /// A request was refused by the access rules.
        public static let accessDenied = Kind(action: .accessDenied)

        public var description: String { action.name }
    }

    /// What happened.
    public var kind: Kind
    /// When it happened.
    public var time: Date
    /// The device, when known.
    public var deviceID: String?
    /// The PSK identity or certificate name the peer presented, when known.
    public var identity: String?
    /// The peer's address (`ip:port`), when known.
    public var address: String?
    /// More detail for a person (never a secret).
    public var detail: String

    public init(kind: Kind, time: Date = Date(), deviceID: String? = nil, identity: String? = nil, address: String? = nil, detail: String = "") {
        self.kind = kind
        self.time = time
        self.deviceID = deviceID
        self.identity = identity
        self.address = address
        self.detail = detail
    }

    /// The audit entry's detail text: identity, address and detail.
    var auditDetail: String {
        var parts: [String] = []
        if let identity { parts.append("identity=\(Self.quoted(identity))") }
        if let address { parts.append("address=\(address)") }
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: " ")
    }

    /// An identity as printable text: at most 64 bytes, control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(64) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return "\"\(out)\""
    }
}
