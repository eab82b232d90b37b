public import CBOR

/// A COSE_Sign1 message (RFC 9052 §4.2), tag 18, as SUIT uses it: the payload detached (`null`),
/// the signed content being the authentication wrapper's digest.
public struct COSESign1: Hashable, Sendable {
    /// The COSE_Sign1 tag.
    public static let tag: UInt64 = 18

    /// The serialized protected header map.
    public var protectedHeader: [UInt8]
    /// The unprotected header map.
    public var unprotectedHeader: CBOR
    /// The payload, or nil when it is detached.
    public var payload: [UInt8]?
    /// The signature (r ‖ s for ECDSA, 64 bytes for Ed25519).
    public var signature: [UInt8]

    /// A message of these parts.
    public init(protectedHeader: [UInt8], unprotectedHeader: CBOR = .map([]), payload: [UInt8]?, signature: [UInt8]) {
        self.protectedHeader = protectedHeader
        self.unprotectedHeader = unprotectedHeader
        self.payload = payload
        self.signature = signature
    }

    /// Decodes a tagged or untagged COSE_Sign1.
    init(cbor value: CBOR, _ path: String) throws {
        var body = value
        if case .tagged(let tag, let inner) = value {
            guard tag == Self.tag else { throw SUITError.unsupported(path, "CBOR tag \(tag) (only COSE_Sign1, 18, is implemented)") }
            body = inner
        }
        let items = try SUITDecoding.array(body, path)
        guard items.count == 4 else { throw SUITError.malformed(path, "COSE_Sign1 is [protected, unprotected, payload, signature]") }
        protectedHeader = try SUITDecoding.bytes(items[0], path + ".protected")
        guard items[1].mapEntries != nil else { throw SUITError.malformed(path + ".unprotected", "expected a map") }
        unprotectedHeader = items[1]
        payload = items[2].isNull ? nil : try SUITDecoding.bytes(items[2], path + ".payload")
        signature = try SUITDecoding.bytes(items[3], path + ".signature")
    }

    /// The algorithm named in the protected header (an algorithm only in the unprotected header is
    /// not accepted: it would not be covered by the signature).
    public func algorithm() throws -> SUITSignatureAlgorithm {
        let header = protectedHeader.isEmpty ? CBOR.map([]) : try SUITDecoding.decodeWrapped(protectedHeader, "COSE_Sign1.protected")
        guard header.mapEntries != nil else { throw SUITError.malformed("COSE_Sign1.protected", "expected a map") }
        guard let value = header[1] else { throw SUITError.malformed("COSE_Sign1.protected", "no algorithm (label 1)") }
        guard let id = value.int64Value, let algorithm = SUITSignatureAlgorithm(rawValue: id) else {
            throw SUITError.unsupported("COSE_Sign1.protected", "signature algorithm \(value) (ES256, ESP256, EdDSA and Ed25519 are implemented)")
        }
        return algorithm
    }

    /// Sig_structure `["Signature1", protected, external_aad, payload]` (RFC 9052 §4.4): the bytes
    /// signed.
    public static func toBeSigned(protectedHeader: [UInt8], externalAAD: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        var writer = CBORWriter(capacity: 24 + protectedHeader.count + payload.count)
        writer.writeArrayHeader(count: 4)
        writer.writeTextString("Signature1")
        writer.writeByteString(protectedHeader)
        writer.writeByteString(externalAAD)
        writer.writeByteString(payload)
        return writer.bytes
    }

    /// The protected header `{1: algorithm}`, encoded.
    static func protectedHeader(for algorithm: SUITSignatureAlgorithm) -> [UInt8] {
        CBOR.map([CBOR.MapEntry(key: 1, value: .int(algorithm.rawValue))]).encoded()
    }

    /// The message, tagged.
    public var cbor: CBOR {
        .tagged(Self.tag, .array([.byteString(protectedHeader), unprotectedHeader, payload.map(CBOR.byteString) ?? .null, .byteString(signature)]))
    }
}
