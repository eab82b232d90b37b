internal import CBOR
internal import LibCrypto

/// The per-key hot path shared by ``Sealer``, ``KeyRing`` and ``SealingKey``: a prepared cipher,
/// the Base IV, the external AAD of one device, and the last Enc_structure built (it only changes
/// when the protected header does). Not thread-safe; owners keep it under a lock.
struct SealingEngine {
    let algorithm: SealingAlgorithm
    let kid: [UInt8]
    let deviceID: String
    private let cipher: AEADCipher
    private let baseIV: [UInt8]
    private let externalAAD: [UInt8]
    /// Sender side: protected header and Enc_structure for the last content-format sealed.
    private var sealCache: (contentFormat: UInt16, protected: [UInt8], aad: [UInt8])? = nil
    /// Receiver side: Enc_structure for the last protected header opened.
    private var openCache: (protected: [UInt8], aad: [UInt8])? = nil

    init(key: SealingKey, deviceID: String) throws {
        algorithm = key.algorithm
        kid = key.kid
        self.deviceID = deviceID
        baseIV = key.baseIV.withUnsafeBytes { Array($0) }
        externalAAD = SealingFormat.externalAAD(deviceID: deviceID)
        do {
            cipher = try AEADCipher(algorithm: key.algorithm.aead, key: key.key)
        } catch {
            throw SealingError(.cryptoFailure, "cannot prepare \(key.algorithm): \(error)")
        }
    }

    /// Lends the nonce for `sequenceNumber`, built on the stack. Static, so callers in mutating
    /// methods do not copy the engine to call it.
    private static func withNonce<R>(
        _ sequenceNumber: UInt64,
        baseIV: [UInt8],
        _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: baseIV.count) { nonce in
            PartialIV.writeNonce(sequenceNumber: sequenceNumber, baseIV: baseIV, into: nonce)
            return try body(UnsafeBufferPointer(nonce))
        }
    }

    private mutating func sealHeaders(contentFormat: UInt16) -> (protected: [UInt8], aad: [UInt8]) {
        if let cache = sealCache, cache.contentFormat == contentFormat {
            return (cache.protected, cache.aad)
        }
        let protected = SealingFormat.protectedHeader(algorithm: algorithm, contentFormat: contentFormat)
        var aad: [UInt8] = []
        SealingFormat.encStructure(protectedHeader: protected, externalAAD: externalAAD, into: &aad)
        sealCache = (contentFormat, protected, aad)
        return (protected, aad)
    }

    private mutating func openAAD(protected: ArraySlice<UInt8>) -> [UInt8] {
        if let cache = openCache, cache.protected.elementsEqual(protected) {
            return cache.aad
        }
        var aad: [UInt8] = []
        SealingFormat.encStructure(protectedHeader: protected, externalAAD: externalAAD, into: &aad)
        openCache = (Array(protected), aad)
        return aad
    }

    /// Builds the COSE_Encrypt0 message for one sequence number.
    mutating func seal(_ plaintext: [UInt8], contentFormat: UInt16, sequenceNumber: UInt64) throws -> [UInt8] {
        guard sequenceNumber <= SealingFormat.maxSequenceNumber else {
            throw SealingError(.sequenceExhausted, "sequence number \(sequenceNumber) exceeds 2^40-1")
        }
        let (protected, aad) = sealHeaders(contentFormat: contentFormat)
        let partialIVLength = PartialIV.length(of: sequenceNumber)
        let ciphertextLength = plaintext.count + algorithm.tagLength
        var writer = CBORWriter(capacity: 24 + protected.count + kid.count + ciphertextLength)
        writer.writeTag(SealingFormat.coseEncrypt0Tag)
        writer.writeArrayHeader(count: 3)
        writer.writeByteString(protected)
        writer.writeMapHeader(count: 2)
        writer.writeInt(SealingFormat.labelKid)
        writer.writeByteString(kid)
        writer.writeInt(SealingFormat.labelPartialIV)
        writer.writeByteStringHeader(count: partialIVLength)
        for index in stride(from: partialIVLength - 1, through: 0, by: -1) {
            writer.bytes.append(UInt8(truncatingIfNeeded: sequenceNumber >> UInt64(index * 8)))
        }
        writer.writeByteStringHeader(count: ciphertextLength)
        let cipher = self.cipher
        do {
            try Self.withNonce(sequenceNumber, baseIV: baseIV) { nonce in
                try cipher.seal(plaintext, nonce: nonce, authenticating: aad, appendingTo: &writer.bytes)
            }
        } catch {
            throw SealingError(.cryptoFailure, "encryption failed: \(error)")
        }
        return writer.bytes
    }

    /// Verifies and decrypts a parsed payload.
    mutating func open(_ payload: SealedPayload) throws -> [UInt8] {
        guard payload.algorithm == algorithm else {
            throw SealingError(
                .unsupportedAlgorithm,
                "kid \(Hex.encode(kid)) is registered for alg \(algorithm.rawValue), message uses alg \(payload.algorithm.rawValue)"
            )
        }
        let aad = openAAD(protected: payload.protectedHeader)
        let cipher = self.cipher
        let ciphertext = payload.ciphertext
        do {
            return try Self.withNonce(payload.sequenceNumber, baseIV: baseIV) { nonce in
                try cipher.open(ciphertext, nonce: nonce, authenticating: aad)
            }
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw SealingError(.authenticationFailed, "authentication failed (message tampered or wrong key)")
        } catch {
            throw SealingError(.cryptoFailure, "decryption failed: \(error)")
        }
    }
}
