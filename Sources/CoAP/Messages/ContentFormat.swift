/// A CoAP Content-Format identifier (RFC 7252 §12.3 and the IANA registry).
public struct ContentFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let textPlain = ContentFormat(0)
    /// `application/cose; cose-type="cose-encrypt0"`.
    public static let coseEncrypt0 = ContentFormat(16)
    public static let coseMac0 = ContentFormat(17)
    public static let coseSign1 = ContentFormat(18)
    public static let linkFormat = ContentFormat(40)
    public static let xml = ContentFormat(41)
    public static let octetStream = ContentFormat(42)
    public static let exi = ContentFormat(47)
    public static let json = ContentFormat(50)
    public static let jsonPatch = ContentFormat(51)
    public static let mergePatch = ContentFormat(52)
    public static let cbor = ContentFormat(60)
    public static let cwt = ContentFormat(61)
    public static let senmlJSON = ContentFormat(110)
    public static let sensmlJSON = ContentFormat(111)
    public static let senmlCBOR = ContentFormat(112)
    public static let sensmlCBOR = ContentFormat(113)
    public static let senmlExi = ContentFormat(114)
    public static let coreJSON = ContentFormat(10000)

    /// The media type, when the format is one of the common registered values.
    public var mediaType: String? {
        switch self {
        case .textPlain: "text/plain;charset=utf-8"
        case .coseEncrypt0: "application/cose; cose-type=\"cose-encrypt0\""
        case .coseMac0: "application/cose; cose-type=\"cose-mac0\""
        case .coseSign1: "application/cose; cose-type=\"cose-sign1\""
        case .linkFormat: "application/link-format"
        case .xml: "application/xml"
        case .octetStream: "application/octet-stream"
        case .exi: "application/exi"
        case .json: "application/json"
        case .jsonPatch: "application/json-patch+json"
        case .mergePatch: "application/merge-patch+json"
        case .cbor: "application/cbor"
        case .cwt: "application/cwt"
        case .senmlJSON: "application/senml+json"
        case .sensmlJSON: "application/sensml+json"
        case .senmlCBOR: "application/senml+cbor"
        case .sensmlCBOR: "application/sensml+cbor"
        case .senmlExi: "application/senml-exi"
        default: nil
        }
    }

    /// Parses a number (`110`) or one of the common short names (`text`, `json`, `cbor`,
    /// `senml+json`, `senml+cbor`, `link`, `octet`, `cose`).
    public init?(argument: String) {
        if let n = UInt16(argument) { self.init(n); return }
        switch argument.lowercased() {
        case "text", "text/plain": self = .textPlain
        case "json", "application/json": self = .json
        case "cbor", "application/cbor": self = .cbor
        case "senml+json", "senml-json", "application/senml+json": self = .senmlJSON
        case "senml+cbor", "senml-cbor", "application/senml+cbor": self = .senmlCBOR
        case "link", "link-format", "application/link-format": self = .linkFormat
        case "octet", "octet-stream", "application/octet-stream": self = .octetStream
        case "cose", "cose-encrypt0": self = .coseEncrypt0
        case "xml", "application/xml": self = .xml
        default: return nil
        }
    }

    public var description: String { mediaType.map { "\(rawValue) (\($0))" } ?? "\(rawValue)" }
}
