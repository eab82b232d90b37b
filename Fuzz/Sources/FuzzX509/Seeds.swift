import FuzzSupport
import LibCrypto

// Seeds: self-signed certificates made fresh by X509Certificate.selfSigned, as the tests make
// theirs (their private keys are dropped), in DER and in PEM.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        var seeds: [[UInt8]] = []
        for name in ["dev-1", "gateway.example.com", "127.0.0.1"] {
            let pem = try X509Certificate.selfSigned(commonName: name, validity: .seconds(86_400)).certificatePEM
            seeds.append([1] + Array(pem.utf8))
            seeds.append([0] + (try X509Certificate(pem: pem)).der)
        }
        return SeedExport.binary("cert", seeds)
    }
    return 0
}
