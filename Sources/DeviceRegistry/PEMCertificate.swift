public import Foundation
internal import LibCrypto

/// An X.509 certificate read from PEM, with what the registry records of it: the SHA-256
/// fingerprint of its DER encoding, its subject common name and its validity period.
///
/// Only the first `CERTIFICATE` block of the text is used (a leaf certificate comes first in a
/// chain file). The signature is not verified here: the gateway verifies chains during the DTLS
/// handshake.
public struct PEMCertificate: Sendable, Equatable {
    /// The certificate in DER.
    public var der: [UInt8]
    /// SHA-256 over ``der``, 64 lowercase hex digits.
    public var sha256Fingerprint: String
    /// The subject's common name, if it has one.
    public var subjectCommonName: String?
    /// The start of the validity period.
    public var notBefore: Date?
    /// The end of the validity period.
    public var notAfter: Date?

    /// Parses PEM text. Throws ``DeviceRegistryError/Code/invalidArgument`` when there is no
    /// certificate block, the base64 is broken, or the DER is not a certificate.
    public init(pem: String) throws {
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        guard let beginRange = pem.range(of: begin) else {
            throw DeviceRegistryError(.invalidArgument, "malformed PEM: no '\(begin)' line")
        }
        guard let endRange = pem.range(of: end, range: beginRange.upperBound..<pem.endIndex) else {
            throw DeviceRegistryError(.invalidArgument, "malformed PEM: no '\(end)' line")
        }
        let body = pem[beginRange.upperBound..<endRange.lowerBound].filter { !$0.isWhitespace }
        guard !body.isEmpty, let data = Data(base64Encoded: String(body)) else {
            throw DeviceRegistryError(.invalidArgument, "malformed PEM: the certificate's base64 does not decode")
        }
        try self.init(der: [UInt8](data))
    }

    /// Reads a DER certificate.
    public init(der: [UInt8]) throws {
        var outer = DERReader(der[...])
        let certificate = try outer.read(tag: 0x30, "a certificate SEQUENCE")
        guard outer.isAtEnd else { throw DERReader.malformed("trailing bytes after the certificate") }
        var fields = DERReader(certificate.value)
        let tbs = try fields.read(tag: 0x30, "tbsCertificate")
        _ = try fields.read(tag: 0x30, "signatureAlgorithm")
        _ = try fields.read(tag: 0x03, "signatureValue")
        var tbsFields = DERReader(tbs.value)
        var element = try tbsFields.read()
        if element.tag == 0xA0 { element = try tbsFields.read() }  // explicit version
        guard element.tag == 0x02 else { throw DERReader.malformed("expected the serial number") }
        _ = try tbsFields.read(tag: 0x30, "signature algorithm")
        _ = try tbsFields.read(tag: 0x30, "issuer")
        let validity = try tbsFields.read(tag: 0x30, "validity")
        let subject = try tbsFields.read(tag: 0x30, "subject")
        var times = DERReader(validity.value)
        self.der = der
        self.notBefore = try Self.time(times.read())
        self.notAfter = try Self.time(times.read())
        self.subjectCommonName = try Self.commonName(subject.value)
        do {
            self.sha256Fingerprint = Hex.encode(try SHA256.hash(der))
        } catch {
            throw DeviceRegistryError(.storage, "cannot hash the certificate: \(error)")
        }
    }

    /// The first common name (OID 2.5.4.3) in a Name.
    private static func commonName(_ name: ArraySlice<UInt8>) throws -> String? {
        var sets = DERReader(name)
        while !sets.isAtEnd {
            var attributes = DERReader(try sets.read(tag: 0x31, "a relative distinguished name").value)
            while !attributes.isAtEnd {
                var pair = DERReader(try attributes.read(tag: 0x30, "an attribute").value)
                let oid = try pair.read(tag: 0x06, "an attribute type")
                let value = try pair.read()
                guard Array(oid.value) == [0x55, 0x04, 0x03] else { continue }
                switch value.tag {
                case 0x0C, 0x13, 0x16, 0x14:  // UTF8String, PrintableString, IA5String, T61String
                    return String(decoding: value.value, as: UTF8.self)
                case 0x1E:  // BMPString: UTF-16BE
                    let units = stride(from: value.value.startIndex, to: value.value.endIndex - 1, by: 2).map {
                        UInt16(value.value[$0]) << 8 | UInt16(value.value[$0 + 1])
                    }
                    return String(decoding: units, as: UTF16.self)
                default:
                    throw DERReader.malformed("unexpected string type in the common name")
                }
            }
        }
        return nil
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ).
    private static func time(_ element: DERReader.Element) throws -> Date {
        let text = String(decoding: element.value, as: UTF8.self)
        let digits: Substring
        let year: Int
        switch element.tag {
        case 0x17:
            guard text.count == 13, text.hasSuffix("Z") else { throw DERReader.malformed("bad UTCTime") }
            digits = text.dropLast()
            guard let yy = Int(digits.prefix(2)) else { throw DERReader.malformed("bad UTCTime") }
            year = yy < 50 ? 2000 + yy : 1900 + yy
        case 0x18:
            guard text.count == 15, text.hasSuffix("Z") else { throw DERReader.malformed("bad GeneralizedTime") }
            digits = text.dropLast()
            guard let yyyy = Int(digits.prefix(4)) else { throw DERReader.malformed("bad GeneralizedTime") }
            year = yyyy
        default:
            throw DERReader.malformed("expected a time")
        }
        let rest = Array(digits.suffix(10))
        guard rest.allSatisfy(\.isASCII), rest.allSatisfy(\.isNumber) else { throw DERReader.malformed("bad time digits") }
        func field(_ i: Int) -> Int { Int(String(rest[i..<(i + 2)]))! }
        var components = DateComponents()
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = year
        components.month = field(0)
        components.day = field(2)
        components.hour = field(4)
        components.minute = field(6)
        components.second = field(8)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { throw DERReader.malformed("impossible date") }
        return date
    }
}
