/// Routes requests by method and path to handlers.
///
/// ```swift
/// var router = CoAPRouter()
/// router.get("/hello") { _ in CoAPResponse(text: "hello") }
/// router.get("/readings/{device}", attributes: .init(observable: true)) { request in
///     CoAPResponse(text: "readings of \(request.parameters["device"]!)")
/// }
/// ```
///
/// A handler that returns without suspending is answered in the ACK (piggybacked); one that
/// suspends gets an empty ACK first and a separate response later. A handler that throws gives
/// `5.00` with no details on the wire (the error is logged). An unknown path gives `4.04`, a
/// known path with another method `4.05`.
public struct CoAPRouter: Sendable {
    /// A request handler.
    public typealias Handler = @Sendable (CoAPRequest) async throws -> CoAPResponse

    /// A handler that never suspends, called directly on the server's loop thread: no task is
    /// made, and the response always rides on the ACK. For hot paths (reading ingestion) whose
    /// work is in memory or a synchronous store commit; it must not block for long.
    public typealias SynchronousHandler = @Sendable (CoAPRequest) throws -> CoAPResponse

    /// A handler called on the loop thread like a ``SynchronousHandler``, that may answer later:
    /// it returns the response (piggybacked on the ACK), or `nil` and calls
    /// ``CoAPDeferredResponse/send(_:)`` when the answer is ready (a separate response).
    public typealias DeferrableHandler = @Sendable (CoAPRequest, CoAPDeferredResponse) -> CoAPResponse?

    enum RouteHandler: Sendable {
        case async(Handler)
        case synchronous(SynchronousHandler)
        case deferrable(DeferrableHandler)
    }

    struct Route: Sendable {
        var template: CoAPPathTemplate
        var handlers: [CoAPMethod: RouteHandler]
        var attributes: CoAPResourceAttributes
    }

    private(set) var routes: [Route] = []

    public init() {}

    /// Registers `handler` for `method` on `path` (which may hold `{name}` parameters).
    /// Attributes given here replace earlier ones for the same path.
    public mutating func on(
        _ method: CoAPMethod,
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        _ handler: @escaping Handler
    ) {
        add(.async(handler), for: method, path, attributes: attributes)
    }

    /// Registers a ``SynchronousHandler`` for `method` on `path`: called on the loop thread, with
    /// no task per request (about a third of the server's work per request when handlers are
    /// trivial).
    public mutating func on(
        _ method: CoAPMethod,
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        synchronous handler: @escaping SynchronousHandler
    ) {
        add(.synchronous(handler), for: method, path, attributes: attributes)
    }

    /// Registers a ``DeferrableHandler`` for `method` on `path`: called on the loop thread with no
    /// task per request; it answers at once (on the ACK) or later through the
    /// ``CoAPDeferredResponse`` it is given.
    public mutating func on(
        _ method: CoAPMethod,
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        deferrable handler: @escaping DeferrableHandler
    ) {
        add(.deferrable(handler), for: method, path, attributes: attributes)
    }

    private mutating func add(_ handler: RouteHandler, for method: CoAPMethod, _ path: String, attributes: CoAPResourceAttributes?) {
        let template = CoAPPathTemplate(path)
        if let i = routes.firstIndex(where: { $0.template == template }) {
            routes[i].handlers[method] = handler
            if let attributes { routes[i].attributes = attributes }
        } else {
            routes.append(Route(template: template, handlers: [method: handler], attributes: attributes ?? .init()))
        }
    }

    /// Registers a responder for several methods.
    public mutating func on(
        _ methods: [CoAPMethod],
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        responder: some CoAPResponder
    ) {
        for m in methods { on(m, path, attributes: attributes) { try await responder.respond(to: $0) } }
    }

    public mutating func get(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.get, path, attributes: attributes, handler)
    }
    public mutating func post(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.post, path, attributes: attributes, handler)
    }
    public mutating func put(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.put, path, attributes: attributes, handler)
    }
    public mutating func delete(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.delete, path, attributes: attributes, handler)
    }
    public mutating func fetch(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.fetch, path, attributes: attributes, handler)
    }
    public mutating func patch(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping Handler) {
        on(.patch, path, attributes: attributes, handler)
    }

    /// The templated route matching concrete path segments, with its parameter values.
    func matchTemplated(_ segments: [String]) -> (index: Int, parameters: [String: String])? {
        for (i, r) in routes.enumerated() where !r.template.isLiteral {
            if let p = r.template.match(segments) { return (i, p) }
        }
        return nil
    }
}
