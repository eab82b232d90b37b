/// A gateway failure with a message fit for an operator (never a secret).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
