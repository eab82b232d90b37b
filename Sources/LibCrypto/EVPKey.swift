internal import CLibCrypto

/// Owns an OpenSSL `EVP_PKEY` (internal; public key types wrap it).
// @unchecked Sendable: the EVP_PKEY is never mutated after creation; OpenSSL allows concurrent sign/verify
// on one EVP_PKEY when each call has its own EVP_MD_CTX, as here.
final class EVPKey: @unchecked Sendable {
    enum Kind {
        case p256
        case ed25519

        var displayName: String { self == .p256 ? "ECDSA P-256" : "Ed25519" }
    }

    let pointer: OpaquePointer
    let kind: Kind

    /// Takes ownership of `pointer`.
    private init(pointer: OpaquePointer, kind: Kind) {
        self.pointer = pointer
        self.kind = kind
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Adopts `pointer` after checking that it is a key of `kind`; frees it otherwise.
    static func adopt(_ pointer: OpaquePointer, as kind: Kind) throws -> EVPKey {
        let key = EVPKey(pointer: pointer, kind: kind)
        switch kind {
        case .p256:
            guard EVP_PKEY_is_a(pointer, "EC") == 1 else {
                throw CryptoError(.invalidKey, "not an EC key (expected ECDSA P-256)")
            }
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pointer, &name, name.count, &length) == 1 else {
                throw CryptoError.openSSL(.invalidKey, "EC key has no named curve (expected P-256)")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else {
                throw CryptoError(.invalidKey, "EC key is on curve \(curve), expected P-256")
            }
        case .ed25519:
            guard EVP_PKEY_is_a(pointer, "ED25519") == 1 else {
                throw CryptoError(.invalidKey, "not an Ed25519 key")
            }
        }
        return key
    }

    /// Generates a new key pair.
    static func generate(_ kind: Kind) throws -> EVPKey {
        let name = kind == .p256 ? "EC" : "ED25519"
        guard let context = EVP_PKEY_CTX_new_from_name(nil, name, nil) else {
            throw CryptoError.openSSL(.internalFailure, "EVP_PKEY_CTX_new_from_name(\(name)) failed")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else {
            throw CryptoError.openSSL(.internalFailure, "\(kind.displayName) keygen init failed")
        }
        if kind == .p256 {
            guard EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else {
                throw CryptoError.openSSL(.internalFailure, "cannot select curve P-256")
            }
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw CryptoError.openSSL(.internalFailure, "\(kind.displayName) key generation failed")
        }
        return try adopt(key, as: kind)
    }

    // MARK: PEM and DER

    static func fromPrivatePEM(_ pem: String, as kind: Kind) throws -> EVPKey {
        let key: OpaquePointer? = withMemoryBIO(reading: Array(pem.utf8)) { bio in
            PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            throw CryptoError.openSSL(.invalidEncoding, "cannot parse \(kind.displayName) private key PEM")
        }
        return try adopt(key, as: kind)
    }

    static func fromPublicPEM(_ pem: String, as kind: Kind) throws -> EVPKey {
        let key: OpaquePointer? = withMemoryBIO(reading: Array(pem.utf8)) { bio in
            PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else {
            throw CryptoError.openSSL(.invalidEncoding, "cannot parse \(kind.displayName) public key PEM")
        }
        return try adopt(key, as: kind)
    }

    /// Parses a DER SubjectPublicKeyInfo.
    static func fromPublicDER(_ der: [UInt8], as kind: Kind) throws -> EVPKey {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            throw CryptoError.openSSL(.invalidKey, "cannot parse \(kind.displayName) public key")
        }
        return try adopt(key, as: kind)
    }

    func privatePEM() throws -> String {
        try Self.writeMemoryBIO("\(kind.displayName) private key") { bio in
            PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
        }
    }

    func publicPEM() throws -> String {
        try Self.writeMemoryBIO("\(kind.displayName) public key") { bio in
            PEM_write_bio_PUBKEY(bio, pointer) == 1
        }
    }

    /// The public key as DER SubjectPublicKeyInfo.
    func publicDER() throws -> [UInt8] {
        var derPointer: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pointer, &derPointer)
        guard length > 0, let derPointer else {
            throw CryptoError.openSSL(.internalFailure, "cannot export \(kind.displayName) public key")
        }
        defer { CRYPTO_free(derPointer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: derPointer, count: Int(length)))
    }

    /// A public-only copy of this key.
    func publicKey() throws -> EVPKey {
        try Self.fromPublicDER(publicDER(), as: kind)
    }

    static func withMemoryBIO<R>(reading bytes: [UInt8], _ body: (OpaquePointer) -> R?) -> R? {
        bytes.withUnsafeBytes { buffer -> R? in
            guard let base = buffer.baseAddress, let bio = BIO_new_mem_buf(base, Int32(buffer.count)) else {
                return nil
            }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    static func writeMemoryBIO(_ what: String, _ body: (OpaquePointer) -> Bool) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw CryptoError.openSSL(.internalFailure, "BIO_new failed")
        }
        defer { BIO_free(bio) }
        guard body(bio) else {
            throw CryptoError.openSSL(.internalFailure, "cannot write \(what) as PEM")
        }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = scoap_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else {
            throw CryptoError.openSSL(.internalFailure, "cannot read back \(what) PEM")
        }
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        let text = String(decoding: bytes, as: UTF8.self)
        // The BIO may hold a private key: wipe it before BIO_free releases the memory.
        OPENSSL_cleanse(data, length)
        return text
    }

    // MARK: Signatures

    /// Signs `data`: ECDSA with SHA-256 (DER signature) or pure Ed25519 (64 bytes).
    func sign(_ data: some RandomAccessCollection<UInt8>) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw CryptoError.openSSL(.internalFailure, "EVP_MD_CTX_new failed")
        }
        defer { EVP_MD_CTX_free(context) }
        let digestName: UnsafePointer<CChar>? = kind == .p256 ? cString("SHA256") : nil
        guard EVP_DigestSignInit_ex(context, nil, digestName, nil, nil, pointer, nil) == 1 else {
            throw CryptoError.openSSL(.internalFailure, "\(kind.displayName) sign init failed")
        }
        return try withBytes(data) { input in
            var length = 0
            guard EVP_DigestSign(context, nil, &length, input.uint8Pointer, input.count) == 1 else {
                throw CryptoError.openSSL(.internalFailure, "\(kind.displayName) signing failed")
            }
            var signature = [UInt8](repeating: 0, count: length)
            let ok = signature.withUnsafeMutableBufferPointer {
                EVP_DigestSign(context, $0.baseAddress, &length, input.uint8Pointer, input.count) == 1
            }
            guard ok else {
                throw CryptoError.openSSL(.internalFailure, "\(kind.displayName) signing failed")
            }
            signature.removeSubrange(length...)
            return signature
        }
    }

    /// Verifies a signature in OpenSSL's format (DER for ECDSA, raw for Ed25519).
    func verify(_ signature: [UInt8], for data: some RandomAccessCollection<UInt8>) -> Bool {
        guard let context = EVP_MD_CTX_new() else {
            _ = CryptoError.drainOpenSSLErrors()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        let digestName: UnsafePointer<CChar>? = kind == .p256 ? cString("SHA256") : nil
        let ok = EVP_DigestVerifyInit_ex(context, nil, digestName, nil, nil, pointer, nil) == 1
            && withBytes(data) { input in
                withBytes(signature) { sig in
                    EVP_DigestVerify(context, sig.uint8Pointer, sig.count, input.uint8Pointer, input.count) == 1
                }
            }
        if !ok { _ = CryptoError.drainOpenSSLErrors() }
        return ok
    }
}
