import FuzzSupport
import LibCrypto

// X.509 certificates from files (X509Certificate(der:) and (pem:), Sources/LibCrypto/X509Certificate.swift):
// `coap-registry add --certificate`, the CLI's --certificate/--ca files (PEM text the DTLS layer
// also hands to libcoap), and peers' certificates in DER. The first byte picks DER (even) or PEM
// text (odd). Checks: a certificate read from DER is exactly its input (DER, not re-encoded BER);
// read from its own DER it is the same certificate; the fingerprint is 64 lowercase hex digits;
// the common name is not the subject's CN cut at an embedded NUL (the classic
// "victim.example\0.attacker.example" name confusion); the name checks never trap.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let mode = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let certificate: X509Certificate
    if mode & 1 == 0 {
        guard let c = try? X509Certificate(der: body) else { return 0 }
        invariant(c.der == body, "the DER of a certificate read from DER is not the input")
        certificate = c
    } else {
        guard let c = try? X509Certificate(pem: String(decoding: body, as: UTF8.self)) else { return 0 }
        certificate = c
    }
    invariant((try? X509Certificate(der: certificate.der)) == certificate, "a certificate read from its own DER differs")
    let hex = certificate.sha256Fingerprint.utf8
    invariant(hex.count == 64 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "a malformed fingerprint")
    if let name = certificate.commonName, let cn = SubjectCN.lastCommonName(in: certificate.der) {
        let n = Array(name.utf8)
        invariant(!(cn.count > n.count && cn.starts(with: n) && cn[cn.startIndex + n.count] == 0), "the common name \(name) is the subject CN cut at a NUL")
    }
    for host in ["localhost", "127.0.0.1", "::1", certificate.commonName ?? "x"] + certificate.subjectAltNames.prefix(4) {
        _ = certificate.names(host: host)
    }
    return 0
}
