import DeviceRegistry
import Foundation
import Testing
import TestSupport

@Suite("PEM certificates")
struct PEMCertificateTests {
    /// A self-signed certificate made by the openssl tool, with its fingerprint as openssl prints it.
    private func makeCertificate(in directory: TemporaryDirectory, commonName: String) async throws -> (pem: String, fingerprint: String) {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else { throw TestFailure("openssl is missing: install the Debian package openssl") }
        let key = directory.file("key.pem"), cert = directory.file("cert.pem")
        let made = try await ChildProcess.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/O=Test/CN=\(commonName)",
            "-days", "30", "-keyout", key, "-out", cert,
        ])
        try #require(made.status == 0, "\(made)")
        let printed = try await ChildProcess.run(openssl, ["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
        let fingerprint = try #require(printed.stdout.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        return (try String(contentsOfFile: cert, encoding: .utf8), fingerprint)
    }

    @Test func readsFingerprintSubjectAndValidityAsOpenSSLDoes() async throws {
        let directory = try TemporaryDirectory()
        let (pem, fingerprint) = try await makeCertificate(in: directory, commonName: "sensor-7.example")
        let certificate = try PEMCertificate(pem: "leading text\n" + pem)
        #expect(certificate.sha256Fingerprint == fingerprint.replacingOccurrences(of: ":", with: "").lowercased())
        #expect(certificate.subjectCommonName == "sensor-7.example")
        let notAfter = try #require(certificate.notAfter)
        #expect(abs(notAfter.timeIntervalSinceNow - 30 * 86_400) < 3600)

        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "sensor-7")
        let credential = try registry.addCertificate(deviceID: "sensor-7", pem: pem)
        #expect(credential.subject == "sensor-7.example")
        #expect(registry.deviceID(forCertificateFingerprint: fingerprint, subject: "sensor-7.example") == "sensor-7")
    }

    @Test(arguments: [
        "no pem here",
        "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\nMIIB\n",
        "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----",
    ])
    func malformedPEMIsRefused(_ text: String) {
        #expect {
            try PEMCertificate(pem: text)
        } throws: { ($0 as? DeviceRegistryError)?.code == .invalidArgument }
    }
}
