internal import CLibCoAP
import LibCrypto

extension PeerCertificate {
    /// What a certificate OpenSSL is checking says (an `X509*`, borrowed), read by LibCrypto.
    init?(_ certificate: OpaquePointer) {
        guard let read = Self.read(certificate) else { return nil }
        self.init(commonName: read.commonName ?? "", subjectAltNames: read.subjectAltNames,
                  sha256Fingerprint: read.sha256Fingerprint, der: read.der)
    }

    /// The certificate, as LibCrypto reads it from its DER.
    static func read(_ certificate: OpaquePointer) -> LibCrypto.X509Certificate? {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(certificate, &cursor)
        }
        return try? LibCrypto.X509Certificate(der: der)
    }
}
