import LibCrypto
import Testing

/// Inputs Fuzz/FuzzX509 found (Fuzz/RESULTS.md), kept as the outcome a user should see.
@Suite("Fuzz regressions: X509Certificate")
struct X509FuzzRegressionTests {
    /// A certificate whose signature BIT STRING claims one unused bit and leaves that bit set is
    /// BER, not DER: OpenSSL reads it and re-encodes it with the bit cleared. It used to be
    /// accepted with `der` and the fingerprint describing those other bytes, so two byte strings
    /// passed for one certificate; it is refused as not DER.
    @Test func aSignatureWithNonzeroPaddingBitsIsNotDER() throws {
        let der = try X509Certificate(pem: X509Certificate.selfSigned(commonName: "dev-1", validity: .seconds(60)).certificatePEM).der
        // signatureAlgorithm ecdsa-with-SHA256, then the signature BIT STRING: 03 len unused-bits ...
        let algorithm: [UInt8] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
        let at = try #require((0...(der.count - algorithm.count)).last { der[$0..<$0 + algorithm.count].elementsEqual(algorithm) })
        var ber = der
        #expect(ber[at + algorithm.count] == 0x03 && ber[at + algorithm.count + 2] == 0x00)
        ber[at + algorithm.count + 2] = 1  // one unused bit...
        ber[ber.count - 1] |= 1            // ...that is set
        #expect { try X509Certificate(der: ber) } throws: { ($0 as? CryptoError)?.code == .invalidEncoding }
        #expect(try X509Certificate(der: der).der == der, "a DER certificate still reads")
    }

    /// A subject CN with an embedded NUL ("dev-1\0evil.example") used to read as "dev-1", the
    /// part before the NUL: a certificate for one name was taken for another's (the gateway maps
    /// certificates to devices by CN). Such a CN is not a usable name: `commonName` is nil.
    @Test func aCommonNameWithANULIsNotCutThere() throws {
        let der = try X509Certificate(pem: X509Certificate.selfSigned(commonName: "dev-1Xevil.example", validity: .seconds(60)).certificatePEM).der
        let marked = Array("dev-1X".utf8), cut = Array("dev-1".utf8) + [0]
        var withNUL = der
        for start in 0...(der.count - marked.count) where der[start..<start + marked.count].elementsEqual(marked) {
            withNUL.replaceSubrange(start..<start + marked.count, with: cut)  // issuer and subject (self-signed)
        }
        #expect(withNUL != der)
        let certificate = try X509Certificate(der: withNUL)
        #expect(certificate.commonName == nil)
        #expect(certificate.commonName != "dev-1")
        #expect(try X509Certificate(der: der).commonName == "dev-1Xevil.example", "a CN without a NUL still reads")
    }
}
