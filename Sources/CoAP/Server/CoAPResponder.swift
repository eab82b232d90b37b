/// A type that answers CoAP requests; register it on a `CoAPRouter` like a closure.
public protocol CoAPResponder: Sendable {
    /// Answers one request. Not suspending lets the server piggyback the response on the ACK.
    func respond(to request: CoAPRequest) async throws -> CoAPResponse
}
