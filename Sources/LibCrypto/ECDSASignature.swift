internal import CLibCrypto

/// An ECDSA P-256 signature.
///
/// Stored in the raw form COSE uses (RFC 9053 §2.1): `r ‖ s`, each 32 bytes big-endian. The DER
/// form (an ASN.1 SEQUENCE of two INTEGERs, as X.509 and TLS use) converts both ways.
public struct ECDSASignature: Hashable, Sendable {
    /// `r ‖ s`, 64 bytes.
    public let rawRepresentation: [UInt8]

    /// Wraps a 64-byte `r ‖ s` signature.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 64 else {
            throw CryptoError(.invalidEncoding, "a raw P-256 signature is 64 bytes, got \(rawRepresentation.count)")
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Parses a DER signature.
    public init(derRepresentation der: [UInt8]) throws {
        let signature: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let signature else {
            throw CryptoError.openSSL(.invalidEncoding, "cannot parse DER ECDSA signature")
        }
        defer { ECDSA_SIG_free(signature) }
        var raw = [UInt8](repeating: 0, count: 64)
        let ok = raw.withUnsafeMutableBufferPointer { out in
            BN_bn2binpad(ECDSA_SIG_get0_r(signature), out.baseAddress, 32) == 32
                && BN_bn2binpad(ECDSA_SIG_get0_s(signature), out.baseAddress! + 32, 32) == 32
        }
        guard ok else {
            _ = CryptoError.drainOpenSSLErrors()
            throw CryptoError(.invalidEncoding, "ECDSA signature values are too large for P-256")
        }
        rawRepresentation = raw
    }

    /// The DER form.
    public func derRepresentation() throws -> [UInt8] {
        guard let signature = ECDSA_SIG_new() else {
            throw CryptoError.openSSL(.internalFailure, "ECDSA_SIG_new failed")
        }
        defer { ECDSA_SIG_free(signature) }
        let r = rawRepresentation.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        let s = rawRepresentation.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + 32, 32, nil) }
        guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            throw CryptoError.openSSL(.internalFailure, "cannot build ECDSA signature")
        }
        var derPointer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_ECDSA_SIG(signature, &derPointer)
        guard length > 0, let derPointer else {
            throw CryptoError.openSSL(.internalFailure, "cannot encode ECDSA signature as DER")
        }
        defer { CRYPTO_free(derPointer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: derPointer, count: Int(length)))
    }
}
