internal import CLibCrypto

/// HKDF with SHA-256 (RFC 5869), through OpenSSL's `EVP_KDF` "HKDF".
///
/// An empty salt is allowed and means "no salt" (RFC 5869 §2.2: a string of zeros of hash length).
public enum HKDF {
    /// The largest output ``expand(pseudoRandomKey:info:outputLength:)`` can produce (255 × 32).
    public static let maximumOutputLength = 255 * 32

    /// HKDF-Extract: a 32-byte pseudorandom key from `inputKeyMaterial` and `salt`.
    public static func extract(salt: [UInt8] = [], inputKeyMaterial: SecureBytes) throws -> SecureBytes {
        try derive(mode: "EXTRACT_ONLY", key: inputKeyMaterial, salt: salt, info: [], length: 32)
    }

    /// HKDF-Expand: `outputLength` bytes from a pseudorandom key and `info`.
    public static func expand(pseudoRandomKey: SecureBytes, info: [UInt8], outputLength: Int) throws -> SecureBytes {
        guard pseudoRandomKey.count >= 32 else {
            throw CryptoError(.invalidKey, "HKDF-Expand needs a pseudorandom key of at least 32 bytes")
        }
        return try derive(mode: "EXPAND_ONLY", key: pseudoRandomKey, salt: [], info: info, length: outputLength)
    }

    /// HKDF-Extract then HKDF-Expand in one call.
    public static func deriveKey(
        inputKeyMaterial: SecureBytes,
        salt: [UInt8] = [],
        info: [UInt8],
        outputLength: Int
    ) throws -> SecureBytes {
        try derive(mode: "EXTRACT_AND_EXPAND", key: inputKeyMaterial, salt: salt, info: info, length: outputLength)
    }

    private static func derive(
        mode: StaticString,
        key: SecureBytes,
        salt: [UInt8],
        info: [UInt8],
        length: Int
    ) throws -> SecureBytes {
        guard length > 0, length <= maximumOutputLength else {
            throw CryptoError(.invalidParameter, "HKDF output length must be 1...\(maximumOutputLength), got \(length)")
        }
        let kdf = try FetchedAlgorithm.hkdf.require()
        guard let context = EVP_KDF_CTX_new(kdf) else {
            throw CryptoError.openSSL(.internalFailure, "EVP_KDF_CTX_new(HKDF) failed")
        }
        defer { EVP_KDF_CTX_free(context) }

        return try SecureBytes(count: length) { output in
            let ok = key.withUnsafeBytes { keyBuffer in
                withBytes(salt) { saltBuffer in
                    withBytes(info) { infoBuffer in
                        var params: [OSSL_PARAM] = [
                            scoap_param_utf8(cString("mode"), cString(mode)),
                            scoap_param_utf8(cString("digest"), cString("SHA256")),
                            scoap_param_octets(cString("key"), keyBuffer.baseAddress, keyBuffer.count),
                        ]
                        if !saltBuffer.isEmpty {
                            params.append(scoap_param_octets(cString("salt"), saltBuffer.baseAddress, saltBuffer.count))
                        }
                        if !infoBuffer.isEmpty {
                            params.append(scoap_param_octets(cString("info"), infoBuffer.baseAddress, infoBuffer.count))
                        }
                        params.append(scoap_param_end())
                        return params.withUnsafeBufferPointer { paramBuffer in
                            EVP_KDF_derive(
                                context,
                                output.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                output.count,
                                paramBuffer.baseAddress
                            ) == 1
                        }
                    }
                }
            }
            guard ok else {
                throw CryptoError.openSSL(.internalFailure, "HKDF-SHA256 derivation failed")
            }
        }
    }
}
