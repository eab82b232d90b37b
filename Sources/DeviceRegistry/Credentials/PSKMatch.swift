/// The result of a PSK lookup: which device holds the identity, and its key.
///
/// `description` and the mirror never show the key.
public struct PSKMatch: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The device the identity belongs to.
    public var deviceID: String
    /// The pre-shared key (16 to 64 bytes; keys registered before that minimum may be shorter).
    public var key: [UInt8]
    /// The id of the matching credential (for logs and audit records).
    public var credentialID: String

    public init(deviceID: String, key: [UInt8], credentialID: String = "") {
        self.deviceID = deviceID
        self.key = key
        self.credentialID = credentialID
    }

    public var description: String { "PSKMatch(device: \(deviceID), key: \(key.count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["deviceID": deviceID, "credentialID": credentialID]) }
}
