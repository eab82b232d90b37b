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
}
