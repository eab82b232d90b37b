internal import CLibCrypto

/// An AEAD cipher bound to one key, reusable for many messages.
///
/// The key schedule is computed once, in ``init(algorithm:key:)``; each ``seal(_:nonce:authenticating:)``
/// or ``open(_:nonce:authenticating:)`` only sets the nonce. Sealed output is ciphertext followed by
/// the tag, as COSE and most protocols lay it out.
///
/// Not thread-safe: it holds OpenSSL cipher contexts. Use one per thread or guard it with a lock.
public final class AEADCipher {
    /// The algorithm and its sizes.
    public let algorithm: AEADAlgorithm

    private let encryptContext: OpaquePointer
    private let decryptContext: OpaquePointer
    private let isCCM: Bool

    /// Prepares a cipher for `key`, whose length must match `algorithm.keyLength`.
    public init(algorithm: AEADAlgorithm, key: SecureBytes) throws {
        guard key.count == algorithm.keyLength else {
            throw CryptoError(.invalidKey, "\(algorithm) needs a \(algorithm.keyLength)-byte key, got \(key.count) bytes")
        }
        let cipher = try algorithm.fetchedCipher.require()
        self.algorithm = algorithm
        self.isCCM = algorithm.mode == .ccm
        guard let enc = Self.makeContext(cipher: cipher, algorithm: algorithm, key: key, encrypt: true) else {
            throw CryptoError.openSSL(.internalFailure, "cannot initialise \(algorithm) for encryption")
        }
        guard let dec = Self.makeContext(cipher: cipher, algorithm: algorithm, key: key, encrypt: false) else {
            EVP_CIPHER_CTX_free(enc)
            throw CryptoError.openSSL(.internalFailure, "cannot initialise \(algorithm) for decryption")
        }
        encryptContext = enc
        decryptContext = dec
    }

    deinit {
        // EVP_CIPHER_CTX_free cleanses the key schedule.
        EVP_CIPHER_CTX_free(encryptContext)
        EVP_CIPHER_CTX_free(decryptContext)
    }

    private static func makeContext(
        cipher: OpaquePointer,
        algorithm: AEADAlgorithm,
        key: SecureBytes,
        encrypt: Bool
    ) -> OpaquePointer? {
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        let enc: Int32 = encrypt ? 1 : 0
        var ok = EVP_CipherInit_ex(context, cipher, nil, nil, nil, enc) == 1
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, Int32(algorithm.nonceLength), nil) == 1
        if algorithm.mode == .ccm {
            ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(algorithm.tagLength), nil) == 1
        }
        ok = ok && key.withUnsafeBytes { keyBuffer in
            EVP_CipherInit_ex(context, nil, nil, keyBuffer.uint8Pointer, nil, enc) == 1
        }
        if !ok {
            EVP_CIPHER_CTX_free(context)
            return nil
        }
        return context
    }

    /// Encrypts and authenticates `plaintext`, authenticating `aad` too; returns ciphertext ‖ tag.
    ///
    /// Any contiguous byte collection works for each argument (`[UInt8]`, `ArraySlice<UInt8>`,
    /// `UnsafeBufferPointer<UInt8>`); other collections are copied first.
    @inlinable
    public func seal(
        _ plaintext: some RandomAccessCollection<UInt8>,
        nonce: some RandomAccessCollection<UInt8>,
        authenticating aad: some RandomAccessCollection<UInt8> = [UInt8]()
    ) throws -> [UInt8] {
        var output: [UInt8] = []
        try seal(plaintext, nonce: nonce, authenticating: aad, appendingTo: &output)
        return output
    }

    /// Like ``seal(_:nonce:authenticating:)`` but appends ciphertext ‖ tag to `output`, so a caller
    /// building a message avoids a copy.
    @inlinable
    public func seal(
        _ plaintext: some RandomAccessCollection<UInt8>,
        nonce: some RandomAccessCollection<UInt8>,
        authenticating aad: some RandomAccessCollection<UInt8>,
        appendingTo output: inout [UInt8]
    ) throws {
        try withBytes(plaintext) { input in
            try withBytes(nonce) { nonceBuffer in
                try withBytes(aad) { aadBuffer in
                    try sealBuffers(input, nonce: nonceBuffer, aad: aadBuffer, appendingTo: &output)
                }
            }
        }
    }

    /// Verifies and decrypts ciphertext ‖ tag. Throws ``CryptoError/Code/authenticationFailed``
    /// when the tag does not match; no plaintext is returned then.
    @inlinable
    public func open(
        _ ciphertextAndTag: some RandomAccessCollection<UInt8>,
        nonce: some RandomAccessCollection<UInt8>,
        authenticating aad: some RandomAccessCollection<UInt8> = [UInt8]()
    ) throws -> [UInt8] {
        try withBytes(ciphertextAndTag) { input in
            try withBytes(nonce) { nonceBuffer in
                try withBytes(aad) { aadBuffer in
                    try openBuffers(input, nonce: nonceBuffer, aad: aadBuffer)
                }
            }
        }
    }

    /// The non-generic core of `seal`; buffers are valid only during the call.
    @usableFromInline
    func sealBuffers(
        _ input: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer,
        appendingTo output: inout [UInt8]
    ) throws {
        let tagLength = algorithm.tagLength
        let inputCount = input.count
        guard inputCount <= Int(Int32.max) - tagLength, aad.count <= Int(Int32.max) else {
            throw CryptoError(.invalidParameter, "plaintext or AAD too large")
        }
        try checkNonce(nonce.count)
        let start = output.count
        output.reserveCapacity(start + inputCount + tagLength)
        var ok = false
        // Let OpenSSL write straight into the new tail of `output`.
        output.append(contentsOf: repeatElement(0, count: inputCount + tagLength))
        output.withUnsafeMutableBufferPointer { outAll in
            let out = outAll.baseAddress!.advanced(by: start)
            ok = encrypt(input: input, nonce: nonce, aad: aad, out: out, tag: out.advanced(by: inputCount))
        }
        guard ok else {
            output.removeSubrange(start...)
            throw CryptoError.openSSL(.internalFailure, "\(algorithm) encryption failed")
        }
    }

    /// The non-generic core of `open`; buffers are valid only during the call.
    @usableFromInline
    func openBuffers(
        _ input: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        let tagLength = algorithm.tagLength
        guard input.count >= tagLength else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than the \(tagLength)-byte tag")
        }
        guard input.count <= Int(Int32.max), aad.count <= Int(Int32.max) else {
            throw CryptoError(.invalidParameter, "ciphertext or AAD too large")
        }
        try checkNonce(nonce.count)
        let plainCount = input.count - tagLength
        var ok = false
        var plaintext = [UInt8](unsafeUninitializedCapacity: plainCount) { buffer, initialized in
            ok = decrypt(
                input: UnsafeRawBufferPointer(rebasing: input[0..<plainCount]),
                tag: input.baseAddress!.advanced(by: plainCount).assumingMemoryBound(to: UInt8.self),
                nonce: nonce, aad: aad,
                out: buffer.baseAddress
            )
            if !ok, let base = buffer.baseAddress {
                // Wipe unverified plaintext (GCM decrypts before the tag check in Final).
                OPENSSL_cleanse(base, plainCount)
            }
            initialized = plainCount
        }
        guard ok else {
            plaintext.removeAll()
            // A failed tag is not an internal error: clear OpenSSL's queue and say what happened.
            _ = CryptoError.drainOpenSSLErrors()
            throw CryptoError(.authenticationFailed, "authentication tag mismatch")
        }
        return plaintext
    }

    private func checkNonce(_ count: Int) throws {
        guard count == algorithm.nonceLength else {
            throw CryptoError(.invalidNonce, "\(algorithm) needs a \(algorithm.nonceLength)-byte nonce, got \(count) bytes")
        }
    }

    private func encrypt(
        input: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer,
        out: UnsafeMutablePointer<UInt8>,
        tag: UnsafeMutablePointer<UInt8>
    ) -> Bool {
        let ctx = encryptContext
        var outLength: Int32 = 0
        guard EVP_CipherInit_ex(ctx, nil, nil, nil, nonce.uint8Pointer, -1) == 1 else { return false }
        if isCCM {
            // CCM needs the total length before the AAD, and the AAD in one call.
            guard EVP_CipherUpdate(ctx, nil, &outLength, nil, Int32(input.count)) == 1 else { return false }
        }
        if !aad.isEmpty {
            guard EVP_CipherUpdate(ctx, nil, &outLength, aad.uint8Pointer, Int32(aad.count)) == 1 else { return false }
        }
        if isCCM || !input.isEmpty {
            guard EVP_CipherUpdate(ctx, out, &outLength, input.uint8Pointer, Int32(input.count)) == 1 else { return false }
        }
        var finalLength: Int32 = 0
        guard EVP_CipherFinal_ex(ctx, out.advanced(by: Int(outLength)), &finalLength) == 1 else { return false }
        // Read the tag through the parameter API directly (what EVP_CTRL_AEAD_GET_TAG does, minus a layer).
        var params = (scoap_param_octets(cString("tag"), tag, algorithm.tagLength), scoap_param_end())
        return withUnsafeMutableBytes(of: &params) { raw in
            EVP_CIPHER_CTX_get_params(ctx, raw.baseAddress!.assumingMemoryBound(to: OSSL_PARAM.self)) == 1
        }
    }

    /// Sets the nonce and the tag to check, in one `EVP_CipherInit_ex2` call (the provider applies
    /// the tag parameter after the nonce).
    private func initialize(_ ctx: OpaquePointer, nonce: UnsafeRawBufferPointer, expectedTag: UnsafeMutableRawPointer) -> Bool {
        var params = (scoap_param_octets(cString("tag"), expectedTag, algorithm.tagLength), scoap_param_end())
        return withUnsafeBytes(of: &params) { raw in
            EVP_CipherInit_ex2(ctx, nil, nil, nonce.uint8Pointer, -1, raw.baseAddress!.assumingMemoryBound(to: OSSL_PARAM.self)) == 1
        }
    }

    private func decrypt(
        input: UnsafeRawBufferPointer,
        tag: UnsafePointer<UInt8>,
        nonce: UnsafeRawBufferPointer,
        aad: UnsafeRawBufferPointer,
        out: UnsafeMutablePointer<UInt8>?
    ) -> Bool {
        let ctx = decryptContext
        var outLength: Int32 = 0
        let tagPointer = UnsafeMutableRawPointer(mutating: tag)
        // A placeholder output address for empty plaintexts: OpenSSL needs non-NULL to run the cipher.
        var scratch: UInt8 = 0
        return withUnsafeMutablePointer(to: &scratch) { scratchPointer in
            let outPointer = out ?? scratchPointer
            if isCCM {
                // Nonce and expected tag in one init call.
                guard initialize(ctx, nonce: nonce, expectedTag: tagPointer),
                      EVP_CipherUpdate(ctx, nil, &outLength, nil, Int32(input.count)) == 1
                else { return false }
                if !aad.isEmpty {
                    guard EVP_CipherUpdate(ctx, nil, &outLength, aad.uint8Pointer, Int32(aad.count)) == 1 else { return false }
                }
                // For CCM the tag is checked here; a mismatch returns 0 and wipes the output.
                return EVP_CipherUpdate(ctx, outPointer, &outLength, input.uint8Pointer, Int32(input.count)) == 1
            } else {
                guard initialize(ctx, nonce: nonce, expectedTag: tagPointer) else { return false }
                if !aad.isEmpty {
                    guard EVP_CipherUpdate(ctx, nil, &outLength, aad.uint8Pointer, Int32(aad.count)) == 1 else { return false }
                }
                if !input.isEmpty {
                    guard EVP_CipherUpdate(ctx, outPointer, &outLength, input.uint8Pointer, Int32(input.count)) == 1
                    else { return false }
                }
                var finalLength: Int32 = 0
                return EVP_CipherFinal_ex(ctx, outPointer.advanced(by: Int(outLength)), &finalLength) == 1
            }
        }
    }
}

@available(*, unavailable, message: "AEADCipher holds mutable OpenSSL contexts; use one per thread")
extension AEADCipher: Sendable {}
