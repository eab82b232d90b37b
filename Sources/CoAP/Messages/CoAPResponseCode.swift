/// A CoAP response code, `class.detail` (RFC 7252 §5.9, §12.1.2).
public struct CoAPResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The packed code byte: class in the top three bits, detail in the lower five.
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Builds a code from its class (2, 4, 5) and detail (0–31).
    public init(_ codeClass: UInt8, _ detail: UInt8) {
        self.rawValue = (codeClass << 5) | (detail & 0x1F)
    }

    /// The class: 2 success, 4 client error, 5 server error.
    public var codeClass: UInt8 { rawValue >> 5 }
    /// The detail within the class.
    public var detail: UInt8 { rawValue & 0x1F }
    /// `true` for 2.xx.
    public var isSuccess: Bool { codeClass == 2 }

    public static let created = CoAPResponseCode(2, 1)
    public static let deleted = CoAPResponseCode(2, 2)
    public static let valid = CoAPResponseCode(2, 3)
    public static let changed = CoAPResponseCode(2, 4)
    public static let content = CoAPResponseCode(2, 5)
    public static let `continue` = CoAPResponseCode(2, 31)
    public static let badRequest = CoAPResponseCode(4, 0)
    public static let unauthorized = CoAPResponseCode(4, 1)
    public static let badOption = CoAPResponseCode(4, 2)
    public static let forbidden = CoAPResponseCode(4, 3)
    public static let notFound = CoAPResponseCode(4, 4)
    public static let methodNotAllowed = CoAPResponseCode(4, 5)
    public static let notAcceptable = CoAPResponseCode(4, 6)
    public static let requestEntityIncomplete = CoAPResponseCode(4, 8)
    public static let conflict = CoAPResponseCode(4, 9)
    public static let preconditionFailed = CoAPResponseCode(4, 12)
    public static let requestEntityTooLarge = CoAPResponseCode(4, 13)
    public static let unsupportedContentFormat = CoAPResponseCode(4, 15)
    public static let unprocessableEntity = CoAPResponseCode(4, 22)
    public static let tooManyRequests = CoAPResponseCode(4, 29)
    public static let internalServerError = CoAPResponseCode(5, 0)
    public static let notImplemented = CoAPResponseCode(5, 1)
    public static let badGateway = CoAPResponseCode(5, 2)
    public static let serviceUnavailable = CoAPResponseCode(5, 3)
    public static let gatewayTimeout = CoAPResponseCode(5, 4)
    public static let proxyingNotSupported = CoAPResponseCode(5, 5)

    /// The dotted form, e.g. `4.04`.
    public var dotted: String {
        "\(codeClass).\(detail < 10 ? "0" : "")\(detail)"
    }

    /// The reason phrase from RFC 7252, or an empty string for unregistered codes.
    public var phrase: String {
        switch self {
        case .created: "Created"
        case .deleted: "Deleted"
        case .valid: "Valid"
        case .changed: "Changed"
        case .content: "Content"
        case .continue: "Continue"
        case .badRequest: "Bad Request"
        case .unauthorized: "Unauthorized"
        case .badOption: "Bad Option"
        case .forbidden: "Forbidden"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .notAcceptable: "Not Acceptable"
        case .requestEntityIncomplete: "Request Entity Incomplete"
        case .conflict: "Conflict"
        case .preconditionFailed: "Precondition Failed"
        case .requestEntityTooLarge: "Request Entity Too Large"
        case .unsupportedContentFormat: "Unsupported Content-Format"
        case .unprocessableEntity: "Unprocessable Entity"
        case .tooManyRequests: "Too Many Requests"
        case .internalServerError: "Internal Server Error"
        case .notImplemented: "Not Implemented"
        case .badGateway: "Bad Gateway"
        case .serviceUnavailable: "Service Unavailable"
        case .gatewayTimeout: "Gateway Timeout"
        case .proxyingNotSupported: "Proxying Not Supported"
        default: ""
        }
    }

    /// `4.04 Not Found`.
    public var description: String { phrase.isEmpty ? dotted : "\(dotted) \(phrase)" }
}
