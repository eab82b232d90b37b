import LibCrypto
import Testing

@Suite("CryptoError")
struct CryptoErrorTests {
    @Test("OpenSSL's error queue is drained into the error")
    func drainsQueue() throws {
        do {
            _ = try P256SigningKey(pemRepresentation: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            Issue.record("garbage PEM was accepted")
        } catch let error as CryptoError {
            #expect(error.code == .invalidEncoding)
            #expect(!error.openSSLErrors.isEmpty)
            #expect(error.description.contains("OpenSSL"))
        }
        // The queue is empty afterwards: the next failure reports only its own entries.
        do {
            _ = try Ed25519VerifyingKey(pemRepresentation: "not pem")
            Issue.record("garbage PEM was accepted")
        } catch let error as CryptoError {
            #expect(error.openSSLErrors.count <= 4)
        }
    }

    @Test("codes are extensible values, comparable and printable")
    func codes() {
        let error = CryptoError(.authenticationFailed, "tag mismatch")
        #expect(error.code == .authenticationFailed)
        #expect(error.code != .invalidKey)
        #expect(error.code.description == "authenticationFailed")
        #expect(error.description == "tag mismatch")
    }
}
