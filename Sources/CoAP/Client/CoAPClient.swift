public import Logging

/// A CoAP client over libcoap: async requests, observations, block-wise bodies.
///
/// One client owns one libcoap context on its own thread and keeps one session per peer, so
/// requests to the same server share a session and run concurrently up to
/// `Configuration.maxInFlightPerPeer`.
///
/// ```swift
/// let client = try CoAPClient()
/// defer { client.shutdown() }
/// let response = try await client.get("coap://127.0.0.1/time")
/// print(response.code, response.text)
/// ```
///
/// A response with a 4.xx or 5.xx code is returned, not thrown: errors are for exchanges that
/// did not complete (timeout, unreachable peer, shutdown).
public final class CoAPClient: Sendable {
    public let configuration: Configuration
    let context: LibCoAPContext
    private let logger: Logger

    /// Creates a client and starts its loop thread.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "coap.client")) throws {
        self.configuration = configuration
        self.logger = logger
        let context = try LibCoAPContext(logger: logger)
        context.client = ClientState(context: context, logger: logger)
        self.context = context
        try context.start(name: "coap-client")
    }

    deinit { context.loop.shutdown() }

    /// Stops the loop thread. Requests still in flight fail with `CoAPError.Code.shutdown`.
    public func shutdown() { context.loop.shutdown() }

    /// Sends `request` to the peer named by `uri` (its host and port; the path and query come
    /// from the request).
    public func send(_ request: CoAPRequest, to uri: CoAPURI, timeout: Duration? = nil) async throws -> CoAPResponse {
        let address = try peerAddress(uri)
        let seconds = (timeout ?? configuration.requestTimeout).seconds
        let parameters = configuration.sessionParameters
        let handle = ExchangeHandle()
        do {
            return try await exchange(request, address: address, parameters: parameters, timeout: seconds, handle: handle)
        } catch {
            // Whichever path noticed the cancellation first, the caller sees CancellationError.
            if handle.isCancelled { throw CancellationError() }
            throw error
        }
    }

    private func exchange(
        _ request: CoAPRequest, address: ClientPeer, parameters: ClientSessionParameters, timeout seconds: Double,
        handle: ExchangeHandle
    ) async throws -> CoAPResponse {
        let context = self.context
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CoAPResponse, any Error>) in
                let once = OnceContinuation(continuation)
                handle.onCancel = { once.resume(with: .failure(CancellationError())) }
                let accepted = context.loop.executeIfRunning {
                    do throws(CoAPError) {
                        guard !handle.isCancelled else { throw CoAPError(.shutdown, "the request was cancelled") }
                        guard let client = context.client else { throw CoAPError(.shutdown, "the CoAP client is shut down") }
                        let session = try client.session(for: address, parameters: parameters)
                        let key = try client.send(request, on: session, parameters: parameters, timeout: seconds, observe: false, sink: .single { result in
                            once.resume(with: result.mapError { $0 as any Error })
                        })
                        handle.key = key
                    } catch {
                        once.resume(with: .failure(error))
                    }
                }
                if !accepted { once.resume(with: .failure(CoAPError(.shutdown, "the CoAP client is shut down"))) }
            }
        } onCancel: {
            handle.cancel(on: context)
        }
    }

    /// Sends a request built from a URI string.
    public func request(
        _ method: CoAPMethod,
        _ uri: String,
        payload: [UInt8] = [],
        contentFormat: ContentFormat? = nil,
        accept: ContentFormat? = nil,
        type: CoAPMessageType = .confirmable,
        options: CoAPOptions = CoAPOptions(),
        timeout: Duration? = nil
    ) async throws -> CoAPResponse {
        let parsed = try CoAPURI(uri)
        var request = CoAPRequest(method: method, uri: parsed, type: type, payload: payload, contentFormat: contentFormat)
        for o in options { request.options.append(o) }
        if let accept { request.options.accept = accept }
        return try await send(request, to: parsed, timeout: timeout)
    }

    public func get(_ uri: String, accept: ContentFormat? = nil, type: CoAPMessageType = .confirmable, timeout: Duration? = nil) async throws -> CoAPResponse {
        try await request(.get, uri, accept: accept, type: type, timeout: timeout)
    }

    public func post(_ uri: String, payload: [UInt8], contentFormat: ContentFormat? = nil, type: CoAPMessageType = .confirmable, timeout: Duration? = nil) async throws -> CoAPResponse {
        try await request(.post, uri, payload: payload, contentFormat: contentFormat, type: type, timeout: timeout)
    }

    public func put(_ uri: String, payload: [UInt8], contentFormat: ContentFormat? = nil, type: CoAPMessageType = .confirmable, timeout: Duration? = nil) async throws -> CoAPResponse {
        try await request(.put, uri, payload: payload, contentFormat: contentFormat, type: type, timeout: timeout)
    }

    public func delete(_ uri: String, type: CoAPMessageType = .confirmable, timeout: Duration? = nil) async throws -> CoAPResponse {
        try await request(.delete, uri, type: type, timeout: timeout)
    }

    /// Observes a resource (RFC 7641). `timeout` bounds the wait for the first response only.
    public func observe(_ uri: String, accept: ContentFormat? = nil, timeout: Duration? = nil) throws -> CoAPObservation {
        let parsed = try CoAPURI(uri)
        var request = CoAPRequest(method: .get, uri: parsed)
        if let accept { request.options.accept = accept }
        return try observe(request, at: parsed, timeout: timeout)
    }

    /// Observes with a prepared GET request.
    public func observe(_ request: CoAPRequest, at uri: CoAPURI, timeout: Duration? = nil) throws -> CoAPObservation {
        let address = try peerAddress(uri)
        let seconds = (timeout ?? configuration.requestTimeout).seconds
        let parameters = configuration.sessionParameters
        let context = self.context
        let handle = ExchangeHandle()
        let (stream, continuation) = AsyncThrowingStream<CoAPResponse, any Error>.makeStream()
        continuation.onTermination = { _ in handle.cancel(on: context) }
        let accepted = context.loop.executeIfRunning {
            do throws(CoAPError) {
                guard !handle.isCancelled else { return }
                guard let client = context.client else { throw CoAPError(.shutdown, "the CoAP client is shut down") }
                        let session = try client.session(for: address, parameters: parameters)
                handle.key = try client.send(request, on: session, parameters: parameters, timeout: seconds, observe: true, sink: .observe(continuation))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        if !accepted { continuation.finish(throwing: CoAPError(.shutdown, "the CoAP client is shut down")) }
        return CoAPObservation(stream: stream, cancel: { handle.cancel(on: context) })
    }

    private func peerAddress(_ uri: CoAPURI) throws(CoAPError) -> ClientPeer {
        if uri.isSecure && configuration.dtls == nil {
            throw CoAPError(.invalidConfiguration, "coaps:// needs a DTLS configuration on the client (PSK or certificates)")
        }
        return ClientPeer(address: try SocketAddress.resolve(host: uri.host, port: uri.port), host: uri.host, secure: uri.isSecure)
    }
}
