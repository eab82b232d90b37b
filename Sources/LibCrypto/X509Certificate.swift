internal import CLibCrypto
public import Foundation

/// An X.509 certificate, read with OpenSSL: what the DTLS checks and the device registry need of
/// it. The signature is not verified here (the DTLS handshake verifies chains).
public struct X509Certificate: Sendable, Hashable {
    /// The certificate in DER.
    public let der: [UInt8]
    /// The subject's common name (CN), or nil when it has none.
    public let commonName: String?
    /// subjectAltName entries: DNS names and URIs as they are, IP addresses as text.
    public let subjectAltNames: [String]
    /// SHA-256 over ``der``, as 64 lowercase hex digits.
    public let sha256Fingerprint: String
    /// The validity period.
    public let notBefore: Date?
    public let notAfter: Date?

    /// Reads a DER certificate. Throws ``CryptoError/Code/invalidEncoding`` when it is not one, or
    /// when bytes follow it.
    ///
    /// The encoding must be DER exactly: OpenSSL also reads some non-DER forms (a signature BIT
    /// STRING with nonzero padding bits, say) and re-encodes them, which would make ``der`` and
    /// ``sha256Fingerprint`` describe other bytes than the ones given, and let several byte strings
    /// pass for one certificate. Found by Fuzz/FuzzX509.
    public init(der: [UInt8]) throws {
        guard let certificate = Self.parse(der) else { throw CryptoError.openSSL(.invalidEncoding, "not one DER X.509 certificate") }
        defer { X509_free(certificate) }
        try self.init(certificate)
        guard self.der == der else {
            throw CryptoError.openSSL(.invalidEncoding, "not a DER X.509 certificate (its DER re-encoding differs)")
        }
    }

    /// Reads the first certificate of PEM text (a leaf comes first in a chain file). Throws
    /// ``CryptoError/Code/invalidEncoding`` when there is none or it does not read.
    public init(pem: String) throws {
        let certificate = EVPKey.withMemoryBIO(reading: Array(pem.utf8)) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let certificate else { throw CryptoError.openSSL(.invalidEncoding, "no PEM certificate could be read") }
        defer { X509_free(certificate) }
        try self.init(certificate)
    }

    /// Reads an OpenSSL `X509*` (borrowed: not freed here).
    init(_ certificate: OpaquePointer) throws {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { throw CryptoError.openSSL(.invalidEncoding, "the certificate does not encode") }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(certificate, &cursor)
        }
        self.der = der
        sha256Fingerprint = Hex.encode(try SHA256.hash(der))
        commonName = Self.commonName(certificate)
        subjectAltNames = Self.alternativeNames(certificate)
        notBefore = X509_get0_notBefore(certificate).flatMap(Self.date)
        notAfter = X509_get0_notAfter(certificate).flatMap(Self.date)
    }

    /// RFC 7252 §9.1.3.3 and RFC 6125: whether the certificate names `host`, a DNS name or an IP
    /// address. subjectAltName entries first; the common name only when there are none of that kind.
    public func names(host: String) -> Bool {
        guard let certificate = Self.parse(der) else { return false }
        defer { X509_free(certificate) }
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            if X509_check_ip_asc(certificate, host, 0) == 1 { return true }
            return subjectAltNames.isEmpty && commonName == host
        }
        return X509_check_host(certificate, host, host.utf8.count, 0, nil) == 1
    }

    /// A new self-signed P-256 certificate naming `commonName`, valid from now for `validity`, and
    /// its key, both as PEM (the key is secret).
    public static func selfSigned(commonName: String, validity: Duration) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let key = try EVPKey.generate(.p256)
        guard let certificate = X509_new() else { throw CryptoError.openSSL(.internalFailure, "X509_new failed") }
        defer { X509_free(certificate) }
        let seconds = Int(validity.components.seconds)
        var ok = ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) == 1
        ok = ok && X509_gmtime_adj(X509_getm_notBefore(certificate), 0) != nil
        ok = ok && X509_gmtime_adj(X509_getm_notAfter(certificate), seconds) != nil
        ok = ok && X509_set_pubkey(certificate, key.pointer) == 1
        let name = X509_get_subject_name(certificate)
        ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
        ok = ok && X509_set_issuer_name(certificate, name) == 1
        ok = ok && X509_sign(certificate, key.pointer, EVP_sha256()) > 0
        guard ok else { throw CryptoError.openSSL(.internalFailure, "cannot make a self-signed certificate") }
        let pem = try EVPKey.writeMemoryBIO("certificate") { bio in PEM_write_bio_X509(bio, certificate) == 1 }
        return (pem, try key.privatePEM())
    }

    /// An OpenSSL `X509*` (the caller frees it) for `der`, if it is exactly one certificate.
    private static func parse(_ der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = start
            guard let parsed = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            guard cursor == start + buffer.count else {
                X509_free(parsed)
                return nil
            }
            return parsed
        }
    }

    /// The subject's first CN, converted to UTF-8 from whatever string type it has; nil when there
    /// is none, or when it holds a NUL. Not `X509_NAME_get_text_by_NID`: that copies the raw bytes
    /// into a fixed buffer, so a CN such as "dev-1\0.other" read as "dev-1" (a CN naming one device
    /// was taken for another's: the gateway maps certificates to devices by CN), a long CN was cut
    /// at 511 bytes, and a BMPString CN came out as UTF-16. Found by Fuzz/FuzzX509.
    private static func commonName(_ certificate: OpaquePointer) -> String? {
        guard let name = X509_get_subject_name(certificate) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        let bytes = UnsafeBufferPointer(start: utf8, count: Int(length))
        guard !bytes.contains(0) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func alternativeNames(_ certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var out: [String] = []
        for i in 0..<OPENSSL_sk_num(names) {
            guard let entry = OPENSSL_sk_value(names, i)?.assumingMemoryBound(to: GENERAL_NAME.self) else { continue }
            switch entry.pointee.type {
            case GEN_DNS: if let s = entry.pointee.d.dNSName { out.append(text(s)) }
            case GEN_URI: if let s = entry.pointee.d.uniformResourceIdentifier { out.append(text(s)) }
            case GEN_IPADD: if let s = entry.pointee.d.iPAddress, let address = ipText(s) { out.append(address) }
            default: break
            }
        }
        return out
    }

    private static func bytes(_ string: UnsafeMutablePointer<ASN1_STRING>) -> [UInt8] {
        let count = Int(ASN1_STRING_length(string))
        guard count > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: count))
    }

    private static func text(_ string: UnsafeMutablePointer<ASN1_STRING>) -> String {
        String(decoding: bytes(string), as: UTF8.self)
    }

    /// An IPv4 address in dotted form, an IPv6 one in colon form (without `::` compression).
    private static func ipText(_ string: UnsafeMutablePointer<ASN1_STRING>) -> String? {
        let ip = bytes(string)
        switch ip.count {
        case 4: return ip.map(String.init).joined(separator: ".")
        case 16: return stride(from: 0, to: 16, by: 2).map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }.joined(separator: ":")
        default: return nil
        }
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>) -> Date? {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
