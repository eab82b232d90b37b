/// The raw bytes of the last common name (OID 2.5.4.3) in a certificate's DER, found by pattern
/// rather than by OpenSSL, so the target can compare what X509Certificate reports with the bytes
/// themselves. The subject comes after the issuer, so the last CN is the subject's (when it has
/// one CN, the usual case). Only UTF8String, PrintableString and IA5String, with a short length.
enum SubjectCN {
    static func lastCommonName(in der: [UInt8]) -> ArraySlice<UInt8>? {
        let oid: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x03]
        guard der.count >= oid.count + 2 else { return nil }
        for start in stride(from: der.count - oid.count - 2, through: 0, by: -1)
        where der[start..<start + oid.count].elementsEqual(oid) {
            let tag = der[start + oid.count], length = Int(der[start + oid.count + 1])
            let content = start + oid.count + 2
            guard [0x0C, 0x13, 0x16].contains(tag), length < 0x80, content + length <= der.count else { return nil }
            return der[content..<content + length]
        }
        return nil
    }
}
