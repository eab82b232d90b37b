internal import LibCrypto

/// A `coap://` or `coaps://` URI (RFC 7252 §6): scheme, host, port, path segments and query.
public struct CoAPURI: Hashable, Sendable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case coap
        case coaps
    }

    public var scheme: Scheme
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    public var port: UInt16
    /// Percent-decoded path segments.
    public var pathSegments: [String]
    /// Percent-decoded query arguments.
    public var query: [String]

    public init(scheme: Scheme = .coap, host: String, port: UInt16? = nil, path: String = "/", query: [String] = []) {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == .coaps ? 5684 : 5683)
        self.pathSegments = CoAPRequest.uriPathSegments(of: path)
        self.query = query
    }

    /// Parses a URI string.
    public init(_ string: String) throws(CoAPError) {
        let parts = string.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw CoAPError(.invalidURI, "'\(string)' is not a CoAP URI (expected coap://HOST[:PORT]/PATH)")
        }
        guard let scheme = Scheme(rawValue: parts[0].lowercased()) else {
            throw CoAPError(.invalidURI, "unsupported scheme in '\(string)' (use coap:// or coaps://)")
        }
        var rest = parts[1]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw CoAPError(.invalidURI, "unterminated IPv6 literal in '\(string)'")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw CoAPError(.invalidURI, "unexpected text after the host in '\(string)'")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw CoAPError(.invalidURI, "no host in '\(string)'") }
        var port: UInt16?
        if let portText {
            guard let p = UInt16(portText), p > 0 else {
                throw CoAPError(.invalidURI, "invalid port '\(portText)' in '\(string)'")
            }
            port = p
        }
        let pathAndQuery = rest[authorityEnd...]
        let queryStart = pathAndQuery.firstIndex(of: "?")
        let path = pathAndQuery[..<(queryStart ?? pathAndQuery.endIndex)]
        let queryText = queryStart.map { pathAndQuery[pathAndQuery.index(after: $0)...] } ?? ""
        self.scheme = scheme
        self.host = String(host)
        self.port = port ?? (scheme == .coaps ? 5684 : 5683)
        // RFC 7252 §6.4 step 8: every segment, empty ones too ("/rd/" is "rd" and "").
        let trimmedPath = path.hasPrefix("/") ? path.dropFirst() : path[...]
        self.pathSegments = trimmedPath.isEmpty ? [] : try trimmedPath.split(separator: "/", omittingEmptySubsequences: false).map { segment throws(CoAPError) in
            try CoAPURI.percentDecode(segment, in: string)
        }
        self.query = try queryText.split(separator: "&", omittingEmptySubsequences: true).map { q throws(CoAPError) in
            try CoAPURI.percentDecode(q, in: string)
        }
    }

    /// `/a/b`.
    public var path: String { "/" + pathSegments.joined(separator: "/") }

    /// `true` for `coaps://`.
    public var isSecure: Bool { scheme == .coaps }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        let q = query.isEmpty ? "" : "?" + query.joined(separator: "&")
        return "\(scheme.rawValue)://\(h):\(port)\(path)\(q)"
    }

    static func percentDecode(_ s: Substring, in uri: String) throws(CoAPError) -> String {
        guard s.contains("%") else { return String(s) }
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i < u.endIndex {
            let c = u[i]
            if c == UInt8(ascii: "%") {
                let h1 = u.index(after: i)
                guard h1 < u.endIndex, u.index(after: h1) < u.endIndex,
                    let hi = Hex.value(ofDigit: u[h1]), let lo = Hex.value(ofDigit: u[u.index(after: h1)])
                else { throw CoAPError(.invalidURI, "bad percent-encoding in '\(uri)'") }
                bytes.append(hi << 4 | lo)
                i = u.index(h1, offsetBy: 2)
            } else {
                bytes.append(c)
                i = u.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

}

extension CoAPRequest {
    /// A request for the URI's path and query.
    public init(method: CoAPMethod, uri: CoAPURI, type: CoAPMessageType = .confirmable, payload: [UInt8] = [], contentFormat: ContentFormat? = nil) {
        self.init(method: method, query: uri.query, type: type, payload: payload, contentFormat: contentFormat)
        self.options.uriPath = uri.pathSegments
    }
}
