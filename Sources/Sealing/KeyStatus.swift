public import Foundation

/// Whether a kid in a ``KeyRing`` may open messages.
public enum KeyStatus: Sendable, Hashable, CustomStringConvertible {
    /// Opens messages.
    case active
    /// Rotated out: still opens messages until `graceUntil`, then refused as revoked.
    case retired(graceUntil: Date)
    /// Never opens messages.
    case revoked

    /// Whether a message may be opened with this status at `now`.
    public func permitsOpening(at now: Date) -> Bool {
        switch self {
        case .active: true
        case .retired(let deadline): now < deadline
        case .revoked: false
        }
    }

    public var description: String {
        switch self {
        case .active: "active"
        case .retired(let deadline): "retired (grace until \(deadline))"
        case .revoked: "revoked"
        }
    }
}
