/// A CoAP request as a server handler sees it, or as a client builds it.
public struct CoAPRequest: Sendable, CustomStringConvertible {
    public var method: CoAPMethod
    /// CON (default) or NON.
    public var type: CoAPMessageType
    /// All options, Uri-Path and Uri-Query included.
    public var options: CoAPOptions
    /// The whole body (block-wise transfers are reassembled before a handler sees them).
    public var payload: [UInt8]
    /// The token (server side: the client's; client side: filled in when sent).
    public var token: [UInt8]
    /// Values of the route's `{name}` parameters (server side).
    public var parameters: [String: String]
    /// The peer the request came from (server side).
    public var peer: CoAPPeerAddress?
    /// The authenticated identity of the peer (PSK identity or certificate identity), when the
    /// request came over DTLS; `nil` over plain CoAP.
    public var identity: String?

    public init(
        method: CoAPMethod,
        path: String = "/",
        query: [String] = [],
        type: CoAPMessageType = .confirmable,
        options: CoAPOptions = CoAPOptions(),
        payload: [UInt8] = [],
        contentFormat: ContentFormat? = nil
    ) {
        self.method = method
        self.type = type
        self.options = options
        self.payload = payload
        self.token = []
        self.parameters = [:]
        self.peer = nil
        self.identity = nil
        self.options.uriPath = CoAPRequest.uriPathSegments(of: path)
        if !query.isEmpty { self.options.uriQuery = query }
        if let contentFormat { self.options.contentFormat = contentFormat }
    }

    /// The path, `/` joined, always starting with `/`.
    public var path: String { "/" + options.uriPath.joined(separator: "/") }
    /// The Uri-Path segments.
    public var pathSegments: [String] { options.uriPath }
    /// The Uri-Query arguments.
    public var query: [String] { options.uriQuery }

    /// The value of a query argument `name=value` (or `""` for a bare `name`).
    public func queryValue(_ name: String) -> String? {
        for q in options.uriQuery {
            if q == name { return "" }
            if q.hasPrefix(name + "="), let eq = q.firstIndex(of: "=") {
                return String(q[q.index(after: eq)...])
            }
        }
        return nil
    }

    public var contentFormat: ContentFormat? { options.contentFormat }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// Route-side path segments: empty segments ignored, so `/hello` and `/hello/` name the same
    /// route on a server.
    static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Uri-Path options for a request path, as RFC 7252 §6.4 step 8 has it: `/` or empty gives
    /// none; otherwise every segment, empty ones included, so `/rd/` is `rd` and an empty segment
    /// (servers such as aiocoap's resource directory tell the two apart).
    static func uriPathSegments(of path: String) -> [String] {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : path[...]
        guard !trimmed.isEmpty else { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    public var description: String {
        "\(type) \(method) \(path)\(query.isEmpty ? "" : "?" + query.joined(separator: "&")) (\(payload.count) bytes)"
    }
}
