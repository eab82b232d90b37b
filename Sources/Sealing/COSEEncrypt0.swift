public import CBOR
public import LibCrypto

/// A generic COSE_Encrypt0 message (RFC 9052 §5.2), below the sealed payload format.
///
/// It takes explicit keys, nonces and external AAD, so it can reproduce published COSE examples and
/// talk to any COSE implementation. Sealed payloads use ``Sealer`` and ``KeyRing`` instead, which fix
/// the headers, derive the nonce and manage sequence numbers.
public struct COSEEncrypt0: Sendable, Hashable {
    /// The serialized protected header map (empty when there are no protected headers).
    public var protectedHeader: [UInt8]
    /// The unprotected header map.
    public var unprotectedHeader: CBOR
    /// Ciphertext ‖ tag.
    public var ciphertext: [UInt8]

    /// Assembles a message from its parts.
    public init(protectedHeader: [UInt8], unprotectedHeader: CBOR = .map([]), ciphertext: [UInt8]) {
        self.protectedHeader = protectedHeader
        self.unprotectedHeader = unprotectedHeader
        self.ciphertext = ciphertext
    }

    /// Parses a message, tagged (16) or untagged. Throws ``SealingError/Code/malformed``.
    public init(decoding message: [UInt8], limits: CBORLimits = .default) throws {
        let value: CBOR
        do {
            value = try CBOR(decoding: message, limits: limits)
        } catch let error as CBORError {
            throw SealingError(.malformed, "malformed COSE_Encrypt0: \(error)")
        }
        var body = value
        if case .tagged(let tag, let inner) = value {
            guard tag == SealingFormat.coseEncrypt0Tag else {
                throw SealingError(.malformed, "CBOR tag \(tag) is not COSE_Encrypt0 (16)")
            }
            body = inner
        }
        guard let items = body.arrayValue, items.count == 3,
              let protected = items[0].bytesValue,
              items[1].mapEntries != nil,
              let ciphertext = items[2].bytesValue
        else {
            throw SealingError(.malformed, "COSE_Encrypt0 must be [protected bstr, unprotected map, ciphertext bstr]")
        }
        self.init(protectedHeader: protected, unprotectedHeader: items[1], ciphertext: ciphertext)
    }

    /// The protected header decoded as a map (an empty byte string means an empty map).
    public func decodedProtectedHeader() throws -> CBOR {
        if protectedHeader.isEmpty { return .map([]) }
        do {
            return try CBOR(decoding: protectedHeader)
        } catch {
            throw SealingError(.malformed, "protected header is not valid CBOR: \(error)")
        }
    }

    /// The message as CBOR, with tag 16 unless `tagged` is false.
    public func encoded(tagged: Bool = true) -> [UInt8] {
        var writer = CBORWriter(capacity: 16 + protectedHeader.count + ciphertext.count)
        if tagged { writer.writeTag(SealingFormat.coseEncrypt0Tag) }
        writer.writeArrayHeader(count: 3)
        writer.writeByteString(protectedHeader)
        writer.write(unprotectedHeader)
        writer.writeByteString(ciphertext)
        return writer.bytes
    }

    /// Enc_structure `["Encrypt0", protected, external_aad]` (RFC 9052 §5.3): the AEAD's AAD.
    public static func encStructure(protectedHeader: [UInt8], externalAAD: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        SealingFormat.encStructure(protectedHeader: protectedHeader, externalAAD: externalAAD, into: &output)
        return output
    }

    /// The nonce from a Partial IV and a Base IV (RFC 9052 §3.1): the Partial IV left-padded with
    /// zeros to the Base IV's length, XORed with the Base IV.
    public static func nonce(partialIV: [UInt8], baseIV: [UInt8]) throws -> [UInt8] {
        guard partialIV.count <= baseIV.count else {
            throw SealingError(.malformed, "Partial IV longer than the Base IV")
        }
        return PartialIV.nonce(partialIV: partialIV, baseIV: baseIV)
    }

    /// Encrypts `plaintext` into a message with the given headers.
    /// `protectedHeader` is a CBOR map; an empty map is sent as an empty byte string.
    public static func seal(
        _ plaintext: [UInt8],
        protectedHeader: CBOR,
        unprotectedHeader: CBOR,
        algorithm: AEADAlgorithm,
        key: SecureBytes,
        nonce: [UInt8],
        externalAAD: [UInt8] = []
    ) throws -> COSEEncrypt0 {
        let protected: [UInt8] = protectedHeader.mapEntries?.isEmpty == true ? [] : protectedHeader.encoded()
        let aad = encStructure(protectedHeader: protected, externalAAD: externalAAD)
        do {
            let cipher = try AEADCipher(algorithm: algorithm, key: key)
            let ciphertext = try cipher.seal(plaintext, nonce: nonce, authenticating: aad)
            return COSEEncrypt0(protectedHeader: protected, unprotectedHeader: unprotectedHeader, ciphertext: ciphertext)
        } catch let error as CryptoError {
            throw SealingError(.cryptoFailure, "COSE_Encrypt0 encryption failed: \(error)")
        }
    }

    /// Verifies and decrypts. Throws ``SealingError/Code/authenticationFailed`` on a bad tag.
    public func open(
        algorithm: AEADAlgorithm,
        key: SecureBytes,
        nonce: [UInt8],
        externalAAD: [UInt8] = []
    ) throws -> [UInt8] {
        let aad = Self.encStructure(protectedHeader: protectedHeader, externalAAD: externalAAD)
        do {
            let cipher = try AEADCipher(algorithm: algorithm, key: key)
            return try cipher.open(ciphertext, nonce: nonce, authenticating: aad)
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw SealingError(.authenticationFailed, "authentication failed (message tampered or wrong key)")
        } catch let error as CryptoError {
            throw SealingError(.cryptoFailure, "COSE_Encrypt0 decryption failed: \(error)")
        }
    }
}
