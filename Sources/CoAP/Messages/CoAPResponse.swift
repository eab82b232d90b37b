/// A CoAP response: a code, options and a body.
public struct CoAPResponse: Sendable, CustomStringConvertible {
    public var code: CoAPResponseCode
    public var options: CoAPOptions
    /// The whole body (block-wise transfers are reassembled).
    public var payload: [UInt8]
    /// The message type it arrived in (client side).
    public var type: CoAPMessageType

    public init(
        code: CoAPResponseCode,
        payload: [UInt8] = [],
        contentFormat: ContentFormat? = nil,
        options: CoAPOptions = CoAPOptions()
    ) {
        self.code = code
        self.options = options
        self.payload = payload
        self.type = .acknowledgement
        if let contentFormat { self.options.contentFormat = contentFormat }
    }

    /// A text body with Content-Format 0.
    public init(code: CoAPResponseCode = .content, text: String) {
        self.init(code: code, payload: Array(text.utf8), contentFormat: .textPlain)
    }

    /// A response with only a code (and, for errors, an optional diagnostic text).
    public static func status(_ code: CoAPResponseCode, diagnostic: String? = nil) -> CoAPResponse {
        CoAPResponse(code: code, payload: diagnostic.map { Array($0.utf8) } ?? [])
    }

    public var contentFormat: ContentFormat? { options.contentFormat }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    public var description: String { "\(code) (\(payload.count) bytes)" }
}
