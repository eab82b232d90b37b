/// The notifications of an observed resource (RFC 7641), as an `AsyncSequence`.
///
/// The first element is the response to the registration. The sequence ends when the server
/// stops the observation (a response without Observe, or an error code), and throws when the
/// registration times out or the endpoint shuts down. When the consumer stops iterating (breaks
/// out of the loop, or its task is cancelled), the client deregisters with the server.
public struct CoAPObservation: AsyncSequence, Sendable {
    public typealias Element = CoAPResponse
    public typealias Failure = any Error

    let stream: AsyncThrowingStream<CoAPResponse, any Error>
    let cancel: @Sendable () -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<CoAPResponse, any Error>.AsyncIterator
        let consumer: Consumer
        public mutating func next() async throws -> CoAPResponse? { try await base.next() }
    }

    /// Deregisters when the last copy of the iterator goes away (the consumer broke out of its
    /// loop), even while the observation value itself is still in scope.
    final class Consumer: Sendable {
        let cancel: @Sendable () -> Void
        init(cancel: @escaping @Sendable () -> Void) { self.cancel = cancel }
        deinit { cancel() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), consumer: Consumer(cancel: cancel))
    }
}
