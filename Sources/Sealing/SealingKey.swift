public import LibCrypto

/// One kid's key material: the AEAD key and the Base IV, for one algorithm.
///
/// Usually derived with ``DeviceSecret/deriveKey(kid:algorithm:)``. `description` shows the kid and
/// algorithm only.
public struct SealingKey: Sendable, CustomStringConvertible {
    /// The key id carried in the message (header 4).
    public let kid: [UInt8]
    /// The content-encryption algorithm.
    public let algorithm: SealingAlgorithm
    /// The AEAD key (16 or 32 bytes).
    public let key: SecureBytes
    /// The Base IV, as long as the algorithm's nonce (13 or 12 bytes).
    public let baseIV: SecureBytes

    /// Assembles a key; lengths must match `algorithm`, and the kid must be 1...64 bytes.
    public init(kid: [UInt8], algorithm: SealingAlgorithm, key: SecureBytes, baseIV: SecureBytes) throws {
        try Self.checkKid(kid)
        guard key.count == algorithm.keyLength else {
            throw SealingError(.invalidKeyMaterial, "\(algorithm) needs a \(algorithm.keyLength)-byte key, got \(key.count)")
        }
        guard baseIV.count == algorithm.nonceLength else {
            throw SealingError(.invalidKeyMaterial, "\(algorithm) needs a \(algorithm.nonceLength)-byte Base IV, got \(baseIV.count)")
        }
        self.kid = kid
        self.algorithm = algorithm
        self.key = key
        self.baseIV = baseIV
    }

    static func checkKid(_ kid: [UInt8]) throws {
        guard (1...SealingFormat.maxKidLength).contains(kid.count) else {
            throw SealingError(.invalidKeyMaterial, "kid must be 1 to \(SealingFormat.maxKidLength) bytes, got \(kid.count)")
        }
    }

    /// The kid as lowercase hex.
    public var kidHex: String { Hex.encode(kid) }

    /// Seals `plaintext` with an explicit sequence number. Stateless and slower than ``Sealer``
    /// (it sets up a cipher per call): for tools and tests. Never reuse a sequence number with a key.
    public func seal(
        _ plaintext: [UInt8],
        contentFormat: UInt16,
        deviceID: String,
        sequenceNumber: UInt64
    ) throws -> [UInt8] {
        var engine = try SealingEngine(key: self, deviceID: deviceID)
        return try engine.seal(plaintext, contentFormat: contentFormat, sequenceNumber: sequenceNumber)
    }

    /// Verifies and decrypts a parsed payload for `deviceID`, without any replay check.
    /// The payload's kid and algorithm must be this key's.
    public func open(_ payload: SealedPayload, deviceID: String) throws -> OpenedPayload {
        guard payload.kidSlice.elementsEqual(kid) else {
            throw SealingError(.unknownKid, "message kid \(payload.kidHex) is not this key's kid \(kidHex)")
        }
        var engine = try SealingEngine(key: self, deviceID: deviceID)
        let plaintext = try engine.open(payload)
        return OpenedPayload(payload: payload, kid: kid, deviceID: deviceID, plaintext: plaintext)
    }

    public var description: String { "SealingKey(kid: \(kidHex), alg: \(algorithm.rawValue))" }
}
