import Foundation
import LibCrypto
import Testing

@Suite("X509Certificate")
struct X509CertificateTests {
    @Test func aSelfSignedCertificateReadsBackWithItsNameFingerprintAndValidity() throws {
        let made = try X509Certificate.selfSigned(commonName: "sensor-7.example", validity: .seconds(86_400))
        let certificate = try X509Certificate(pem: made.certificatePEM)
        #expect(certificate.commonName == "sensor-7.example")
        #expect(certificate.subjectAltNames.isEmpty)
        #expect(certificate.sha256Fingerprint == Hex.encode(try SHA256.hash(certificate.der)))
        let notBefore = try #require(certificate.notBefore), notAfter = try #require(certificate.notAfter)
        #expect(abs(notBefore.timeIntervalSinceNow) < 3600)
        #expect(abs(notAfter.timeIntervalSince(notBefore) - 86_400) < 2)
        #expect(try X509Certificate(der: certificate.der) == certificate)
        #expect(made.privateKeyPEM.contains("PRIVATE KEY"))
    }

    @Test func withoutAlternativeNamesTheCommonNameNamesTheHost() throws {
        let certificate = try X509Certificate(pem: X509Certificate.selfSigned(commonName: "gw.example", validity: .seconds(60)).certificatePEM)
        #expect(certificate.names(host: "gw.example"))
        #expect(!certificate.names(host: "other.example"))
        #expect(!certificate.names(host: "127.0.0.1"))
    }

    @Test func bytesThatAreNotExactlyOneCertificateAreRefused() throws {
        let der = try X509Certificate(pem: X509Certificate.selfSigned(commonName: "x", validity: .seconds(60)).certificatePEM).der
        for bad in [der + [0], Array(der.dropLast()), [], [0x30, 0x03, 0x02, 0x01, 0x01]] {
            #expect { try X509Certificate(der: bad) } throws: { ($0 as? CryptoError)?.code == .invalidEncoding }
        }
        #expect(throws: CryptoError.self) { try X509Certificate(pem: "no pem here") }
    }
}
