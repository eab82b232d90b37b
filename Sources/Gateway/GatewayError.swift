/// A gateway failure with a message fit for an operator (never a secret).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The file system holding a store is full (SQLite's `SQLITE_FULL`): the failure lasts until
    /// space is freed.
    public var storageIsFull: Bool

    public init(_ message: String, storageIsFull: Bool = false) {
        self.message = message
        self.storageIsFull = storageIsFull
    }

    public var description: String { message }
}
