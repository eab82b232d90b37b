/// One request the client is waiting on: a single response, or a stream of notifications for
/// an observation. Loop thread only.
final class ClientExchange {
    enum Sink {
        case single((Result<CoAPResponse, CoAPError>) -> Void)
        case observe(AsyncThrowingStream<CoAPResponse, any Error>.Continuation)
    }

    let key: ExchangeKey
    let token: [UInt8]
    let session: OpaquePointer
    let sink: Sink
    var messageID: Int32
    var timer: LoopTimer?
    /// For observations: a notification has arrived, so the registration is known to be live.
    var registered = false

    init(key: ExchangeKey, token: [UInt8], session: OpaquePointer, messageID: Int32, sink: Sink) {
        self.key = key
        self.token = token
        self.session = session
        self.messageID = messageID
        self.sink = sink
    }

    var isObservation: Bool {
        if case .observe = sink { return true }
        return false
    }

    func fail(_ error: CoAPError) {
        switch sink {
        case .single(let complete): complete(.failure(error))
        case .observe(let continuation): continuation.finish(throwing: error)
        }
    }
}
