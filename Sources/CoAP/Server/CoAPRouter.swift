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
/// A handler's answer travels the way its timing allows, and the route author need not choose:
/// one that returns without suspending is answered piggybacked on the ACK; one that suspends and
/// finishes within half a second, on the ACK held back meanwhile (one datagram each way, as if
/// answered at once); later than that, as a separate response after an empty ACK. A handler that
/// throws gives `5.00` with no details on the wire (the error is logged). An unknown path gives
/// `4.04`, a known path with another method `4.05`. A GET handler of an observable route is also
/// called for each notification; one that suspends there is answered `5.03` (the observer comes
/// back), so it should answer notifications from memory.
public struct CoAPRouter: Sendable {
    /// A request handler. It runs as a task that prefers the server's loop thread: code that does
    /// not suspend runs there, in line with the request; it must not block. A closure that never
    /// awaits is called directly, with no task (the overloads taking a synchronous closure are
    /// chosen for it by the compiler); it answers the same way.
    public typealias Handler = @Sendable (CoAPRequest) async throws -> CoAPResponse

    /// How a route's handler is called. Which one follows from the closure the route was given,
    /// never from a choice its author makes: the way an answer travels is the server's business.
    enum Responder: Sendable {
        /// A closure that does not await: called in line.
        case immediate(@Sendable (CoAPRequest) throws -> CoAPResponse)
        /// Run as a task preferring the loop.
        case async(Handler)
        /// Called in line with a reply it may send from any thread (package-internal routes).
        case replying(@Sendable (CoAPRequest, CoAPReply) -> Void)
    }

    struct Route: Sendable {
        var template: CoAPPathTemplate
        var responders: [CoAPMethod: Responder]
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
        add(method, path, attributes, .async(handler))
    }

    /// Registers `handler`, a closure that does not await, for `method` on `path`.
    public mutating func on(
        _ method: CoAPMethod,
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse
    ) {
        add(method, path, attributes, .immediate(handler))
    }

    /// Registers a handler that is given a ``CoAPReply`` to answer through, from whichever thread
    /// has the answer: for a stage that hands requests to a worker of its own, without a task per
    /// request.
    package mutating func on(
        _ method: CoAPMethod,
        _ path: String,
        attributes: CoAPResourceAttributes? = nil,
        replying handler: @escaping @Sendable (CoAPRequest, CoAPReply) -> Void
    ) {
        add(method, path, attributes, .replying(handler))
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

    private mutating func add(_ method: CoAPMethod, _ path: String, _ attributes: CoAPResourceAttributes?, _ responder: Responder) {
        let template = CoAPPathTemplate(path)
        if let i = routes.firstIndex(where: { $0.template == template }) {
            routes[i].responders[method] = responder
            if let attributes { routes[i].attributes = attributes }
        } else {
            routes.append(Route(template: template, responders: [method: responder], attributes: attributes ?? .init()))
        }
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

    // The same, for closures that do not await.
    public mutating func get(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
        on(.get, path, attributes: attributes, handler)
    }
    public mutating func post(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
        on(.post, path, attributes: attributes, handler)
    }
    public mutating func put(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
        on(.put, path, attributes: attributes, handler)
    }
    public mutating func delete(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
        on(.delete, path, attributes: attributes, handler)
    }
    public mutating func fetch(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
        on(.fetch, path, attributes: attributes, handler)
    }
    public mutating func patch(_ path: String, attributes: CoAPResourceAttributes? = nil, _ handler: @escaping @Sendable (CoAPRequest) throws -> CoAPResponse) {
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
