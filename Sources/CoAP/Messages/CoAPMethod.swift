/// A CoAP request method code (RFC 7252 §12.1.1, RFC 8132).
///
/// A struct rather than an enum so that codes registered later can be represented.
public struct CoAPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code's detail value (class 0).
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let get = CoAPMethod(rawValue: 1)
    public static let post = CoAPMethod(rawValue: 2)
    public static let put = CoAPMethod(rawValue: 3)
    public static let delete = CoAPMethod(rawValue: 4)
    /// FETCH (RFC 8132).
    public static let fetch = CoAPMethod(rawValue: 5)
    /// PATCH (RFC 8132).
    public static let patch = CoAPMethod(rawValue: 6)
    /// iPATCH (RFC 8132).
    public static let iPatch = CoAPMethod(rawValue: 7)

    /// Every method the library routes.
    public static let all: [CoAPMethod] = [.get, .post, .put, .delete, .fetch, .patch, .iPatch]

    /// Parses a method name such as `GET` or `post`.
    public init?(name: String) {
        switch name.uppercased() {
        case "GET": self = .get
        case "POST": self = .post
        case "PUT": self = .put
        case "DELETE": self = .delete
        case "FETCH": self = .fetch
        case "PATCH": self = .patch
        case "IPATCH": self = .iPatch
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .get: "GET"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .fetch: "FETCH"
        case .patch: "PATCH"
        case .iPatch: "iPATCH"
        default: "0.\(rawValue < 10 ? "0" : "")\(rawValue)"
        }
    }
}
