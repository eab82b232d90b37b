internal import CBOR

/// Constants and small encoders of the sealed payload format (docs/sealed-format.md).
enum SealingFormat {
    /// CBOR tag of COSE_Encrypt0.
    static let coseEncrypt0Tag: UInt64 = 16
    /// Context string of external_aad and of the HKDF info.
    static let context = "coap-seal/1"
    /// Largest sequence number (Partial IV at most 5 bytes).
    static let maxSequenceNumber: UInt64 = (1 << 40) - 1
    /// Longest kid accepted.
    static let maxKidLength = 64

    // COSE header labels (RFC 9052 §3.1).
    static let labelAlgorithm: Int64 = 1
    static let labelContentType: Int64 = 3
    static let labelKid: Int64 = 4
    static let labelIV: Int64 = 5
    static let labelPartialIV: Int64 = 6

    /// external_aad = CBOR `["coap-seal/1", device-id]`.
    static func externalAAD(deviceID: String) -> [UInt8] {
        var writer = CBORWriter(capacity: 16 + deviceID.utf8.count)
        writer.writeArrayHeader(count: 2)
        writer.writeTextString(context)
        writer.writeTextString(deviceID)
        return writer.bytes
    }

    /// The protected header `{1: alg, 3: content-format}`, deterministically encoded.
    static func protectedHeader(algorithm: SealingAlgorithm, contentFormat: UInt16) -> [UInt8] {
        var writer = CBORWriter(capacity: 8)
        writer.writeMapHeader(count: 2)
        writer.writeInt(labelAlgorithm)
        writer.writeInt(Int64(algorithm.rawValue))
        writer.writeInt(labelContentType)
        writer.writeUnsigned(UInt64(contentFormat))
        return writer.bytes
    }

    /// Writes Enc_structure `["Encrypt0", protected, external_aad]` into `output` (replacing its contents).
    static func encStructure(
        protectedHeader: some Collection<UInt8>,
        externalAAD: some Collection<UInt8>,
        into output: inout [UInt8]
    ) {
        var writer = CBORWriter(capacity: 0)
        swap(&writer.bytes, &output)
        writer.bytes.removeAll(keepingCapacity: true)
        writer.writeArrayHeader(count: 3)
        writer.writeTextString("Encrypt0")
        writer.writeByteStringHeader(count: protectedHeader.count)
        writer.bytes.append(contentsOf: protectedHeader)
        writer.writeByteStringHeader(count: externalAAD.count)
        writer.bytes.append(contentsOf: externalAAD)
        swap(&writer.bytes, &output)
    }

    /// HKDF info = CBOR `["coap-seal/1", kid, alg, "key" or "iv", length]`.
    static func derivationInfo(kid: [UInt8], algorithm: SealingAlgorithm, label: String, length: Int) -> [UInt8] {
        var writer = CBORWriter(capacity: 32 + kid.count)
        writer.writeArrayHeader(count: 5)
        writer.writeTextString(context)
        writer.writeByteString(kid)
        writer.writeInt(Int64(algorithm.rawValue))
        writer.writeTextString(label)
        writer.writeUnsigned(UInt64(length))
        return writer.bytes
    }
}
