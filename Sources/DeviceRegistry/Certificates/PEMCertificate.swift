public import Foundation
internal import LibCrypto

/// An X.509 certificate read from PEM (`LibCrypto.X509Certificate`), with what the registry records of it: the SHA-256
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

    /// Reads a DER certificate (through OpenSSL, as the DTLS handshake will read it).
    public init(der: [UInt8]) throws {
        let certificate: X509Certificate
        do { certificate = try X509Certificate(der: der) } catch {
            throw DeviceRegistryError(.invalidArgument, "malformed certificate: not one DER X.509 certificate")
        }
        self.der = certificate.der
        sha256Fingerprint = certificate.sha256Fingerprint
        subjectCommonName = certificate.commonName
        notBefore = certificate.notBefore
        notAfter = certificate.notAfter
    }
}
