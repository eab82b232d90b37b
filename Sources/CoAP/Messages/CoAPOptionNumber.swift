/// A CoAP option number (RFC 7252 §5.10 and the IANA registry).
public struct CoAPOptionNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let ifMatch = CoAPOptionNumber(1)
    public static let uriHost = CoAPOptionNumber(3)
    public static let eTag = CoAPOptionNumber(4)
    public static let ifNoneMatch = CoAPOptionNumber(5)
    /// Observe (RFC 7641).
    public static let observe = CoAPOptionNumber(6)
    public static let uriPort = CoAPOptionNumber(7)
    public static let locationPath = CoAPOptionNumber(8)
    public static let uriPath = CoAPOptionNumber(11)
    public static let contentFormat = CoAPOptionNumber(12)
    public static let maxAge = CoAPOptionNumber(14)
    public static let uriQuery = CoAPOptionNumber(15)
    public static let accept = CoAPOptionNumber(17)
    public static let locationQuery = CoAPOptionNumber(20)
    /// Block2 (RFC 7959).
    public static let block2 = CoAPOptionNumber(23)
    /// Block1 (RFC 7959).
    public static let block1 = CoAPOptionNumber(27)
    /// Size2 (RFC 7959).
    public static let size2 = CoAPOptionNumber(28)
    public static let proxyUri = CoAPOptionNumber(35)
    public static let proxyScheme = CoAPOptionNumber(39)
    public static let size1 = CoAPOptionNumber(60)
    /// Request-Tag (RFC 9175 §3): tells concurrent block-wise transfers to one resource apart.
    public static let requestTag = CoAPOptionNumber(292)

    /// Critical options must be understood by the receiver (odd numbers).
    public var isCritical: Bool { rawValue & 1 == 1 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String? {
        switch self {
        case .ifMatch: "If-Match"
        case .uriHost: "Uri-Host"
        case .eTag: "ETag"
        case .ifNoneMatch: "If-None-Match"
        case .observe: "Observe"
        case .uriPort: "Uri-Port"
        case .locationPath: "Location-Path"
        case .uriPath: "Uri-Path"
        case .contentFormat: "Content-Format"
        case .maxAge: "Max-Age"
        case .uriQuery: "Uri-Query"
        case .accept: "Accept"
        case .locationQuery: "Location-Query"
        case .block2: "Block2"
        case .block1: "Block1"
        case .size2: "Size2"
        case .proxyUri: "Proxy-Uri"
        case .proxyScheme: "Proxy-Scheme"
        case .size1: "Size1"
        case .requestTag: "Request-Tag"
        default: nil
        }
    }

    public var description: String { name ?? "Option-\(rawValue)" }

    /// How the option's value is to be read and shown.
    var format: CoAPOption.Format {
        switch self {
        case .uriHost, .locationPath, .uriPath, .uriQuery, .locationQuery, .proxyUri, .proxyScheme: .string
        case .ifMatch, .eTag: .opaque
        case .ifNoneMatch: .empty
        default: .uint
        }
    }
}
