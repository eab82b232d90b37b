public import CoAP

/// Where the bytes of one message went, from the SenML inside to the UDP payload.
///
/// - `senml`: the SenML pack (CBOR or JSON);
/// - `cose`: what sealing adds (COSE_Encrypt0 tag, headers, kid, Partial IV, AEAD tag); 0 unsealed;
/// - `coap`: CoAP header (4), token, options and payload marker, computed from the request as
///   RFC 7252 §3 encodes it, with the token libcoap will use (``libcoapTokenLength(requestNumber:)``);
/// - `dtls`: the DTLS 1.2 record overhead, 0 over plain CoAP: 13-byte record header + 8-byte
///   explicit nonce + 8-byte tag for TLS_PSK_WITH_AES_128_CCM_8 (RFC 7252's mandatory suite),
///   and also 29 for ECDHE_PSK_WITH_CHACHA20_POLY1305 (13 + 16-byte tag, no explicit nonce), the
///   suite two OpenSSL peers negotiate. An estimate: the node cannot see the record; NodeTests
///   measures the real datagram through a UDP relay and checks this figure against it.
public struct WireAccounting: Sendable, Hashable, CustomStringConvertible {
    /// The token length libcoap 4.3.1 uses for the n-th request (from 1) on a client session: its
    /// tokens are a per-session counter starting at 1, minimally encoded (measured: 1 byte for the
    /// first 255 requests, then 2). Over plain CoAP such predictable tokens help an off-path
    /// attacker (RFC 7252 §5.3.1); over DTLS they are harmless, and cheap.
    public static func libcoapTokenLength(requestNumber: Int) -> Int {
        var n = UInt64(max(1, requestNumber))
        var length = 0
        while n > 0 {
            length += 1
            n >>= 8
        }
        return length
    }
    /// The DTLS record overhead used for `coaps://` (see the type's documentation).
    public static let dtlsRecordOverhead = 13 + 8 + 8

    /// Readings in the message.
    public var readings: Int
    /// SenML records in the message.
    public var records: Int
    /// Bytes of the SenML pack.
    public var senml: Int
    /// Bytes sealing added.
    public var cose: Int
    /// Bytes of CoAP header, token, options and payload marker.
    public var coap: Int
    /// Bytes of DTLS record overhead (estimated).
    public var dtls: Int

    /// Creates an accounting from its parts.
    public init(readings: Int, records: Int, senml: Int, cose: Int, coap: Int, dtls: Int) {
        self.readings = readings
        self.records = records
        self.senml = senml
        self.cose = cose
        self.coap = coap
        self.dtls = dtls
    }

    /// Accounts for `request` carrying `senmlBytes` of SenML (sealed or not) with a token of
    /// `tokenLength` bytes to a `coap://` or `coaps://` peer.
    public init(request: CoAPRequest, senmlBytes: Int, readings: Int, records: Int, tokenLength: Int, secure: Bool) {
        self.readings = readings
        self.records = records
        senml = senmlBytes
        cose = max(0, request.payload.count - senmlBytes)
        coap = Self.coapOverhead(of: request, tokenLength: tokenLength)
        dtls = secure ? Self.dtlsRecordOverhead : 0
    }

    /// The UDP payload of the message.
    public var udpPayload: Int { senml + cose + coap + dtls }

    /// UDP payload bytes per reading.
    public var bytesPerReading: Double { readings == 0 ? 0 : Double(udpPayload) / Double(readings) }

    /// CoAP header, token, options and payload marker of `request` (RFC 7252 §3, §3.1).
    public static func coapOverhead(of request: CoAPRequest, tokenLength: Int) -> Int {
        var size = 4 + tokenLength
        var previous: UInt16 = 0
        for option in request.options {
            let delta = Int(option.number.rawValue - previous)
            previous = option.number.rawValue
            size += 1 + extendedLength(delta) + extendedLength(option.value.count) + option.value.count
        }
        if !request.payload.isEmpty { size += 1 }
        return size
    }

    private static func extendedLength(_ value: Int) -> Int {
        value < 13 ? 0 : value < 269 ? 1 : 2
    }

    public var description: String {
        let perReading = (bytesPerReading * 10).rounded() / 10
        return "\(readings) reading\(readings == 1 ? "" : "s") (\(records) records): \(udpPayload) B UDP payload = "
            + "SenML \(senml) + COSE \(cose) + CoAP \(coap)" + (dtls > 0 ? " + DTLS \(dtls) (est.)" : "")
            + " → \(perReading) B per reading"
    }
}
