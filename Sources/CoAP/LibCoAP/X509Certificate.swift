internal import CLibCoAP

/// Reads what the DTLS checks need from an OpenSSL `X509*` (borrowed, not freed here).
enum X509Certificate {
    static func peerCertificate(_ cert: OpaquePointer) -> PeerCertificate {
        var buffer = [CChar](repeating: 0, count: 512)
        _ = scoap_x509_common_name(cert, &buffer, Int32(buffer.count))
        let commonName = String(cBuffer: buffer)
        var names: [String] = []
        let count = scoap_x509_san_count(cert)
        for i in 0..<max(0, count) where scoap_x509_san_at(cert, i, &buffer, Int32(buffer.count)) >= 0 {
            names.append(String(cBuffer: buffer))
        }
        var digest = [UInt8](repeating: 0, count: 32)
        _ = scoap_x509_sha256(cert, &digest)
        let length = scoap_x509_der(cert, nil)
        var der = [UInt8](repeating: 0, count: Int(max(0, length)))
        if length > 0 { _ = scoap_x509_der(cert, &der) }
        return PeerCertificate(
            commonName: commonName, subjectAltNames: names,
            sha256Fingerprint: digest.map { String(format2: $0) }.joined(), der: der)
    }

    /// RFC 7252 §9.1.3.3 / RFC 6125: does the certificate name `host` (a DNS name or an IP)?
    /// SAN entries first; the CN only when the certificate has no SAN of that kind.
    static func matches(_ cert: OpaquePointer, host: String) -> Bool {
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            if X509_check_ip_asc(cert, host, 0) == 1 { return true }
            let info = peerCertificate(cert)
            return info.subjectAltNames.isEmpty && info.commonName == host
        }
        return X509_check_host(cert, host, host.utf8.count, 0, nil) == 1
    }
}

extension String {
    /// The text up to the first NUL of a C buffer.
    init(cBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
