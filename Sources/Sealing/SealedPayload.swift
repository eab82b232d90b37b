internal import CBOR
internal import LibCrypto

/// A sealed payload parsed but not yet verified: its kid, algorithm, inner content-format and
/// sequence number, read from the COSE_Encrypt0 structure.
///
/// Parsing is strict: CBOR tag 16; a protected header holding exactly `{1: alg, 3: content-format}`;
/// an unprotected header holding exactly `{4: kid, 6: Partial IV}`; a Partial IV of 1 to 5 bytes in
/// minimal form; a ciphertext at least as long as the tag; nothing after the message. Header values
/// are *not* authenticated until the payload is opened.
public struct SealedPayload: Sendable {
    /// The key id.
    public var kid: [UInt8] { Array(kidSlice) }
    /// The algorithm named in the protected header.
    public let algorithm: SealingAlgorithm
    /// The inner payload's CoAP Content-Format, from the protected header.
    public let contentFormat: UInt16
    /// The sender's sequence number (the Partial IV).
    public let sequenceNumber: UInt64
    /// The Partial IV bytes as sent (always the minimal form of ``sequenceNumber``; others are refused).
    public var partialIV: [UInt8] { PartialIV.encode(sequenceNumber) }

    /// The key id, as a slice of the message (no copy; hashes and compares like the array).
    let kidSlice: ArraySlice<UInt8>
    /// The protected header bytes as sent (they enter the AAD exactly as received).
    let protectedHeader: ArraySlice<UInt8>
    /// Ciphertext ‖ tag.
    let ciphertext: ArraySlice<UInt8>

    /// Limits for the outer structure: a sealed payload is at most a CoAP body.
    static let limits = CBORLimits(maxDepth: 4, maxItems: 64, maxStringLength: 1 << 24, maxInputLength: 1 << 24)

    /// Parses `message`. Throws ``SealingError/Code/malformed`` or
    /// ``SealingError/Code/unsupportedAlgorithm``.
    public init(parsing message: [UInt8]) throws {
        do {
            var reader = try CBORReader(message, limits: Self.limits)
            guard try reader.readTag() == SealingFormat.coseEncrypt0Tag else {
                throw SealingError(.malformed, "not a COSE_Encrypt0 message (CBOR tag 16 expected)")
            }
            guard try reader.readArrayHeader() == 3 else {
                throw SealingError(.malformed, "COSE_Encrypt0 must be an array of 3 items")
            }
            let protected = try reader.readByteString()
            let (algorithmID, contentFormat) = try Self.parseProtected(protected)

            var kid: ArraySlice<UInt8>? = nil
            var partialIV: ArraySlice<UInt8>? = nil
            let count = try reader.readMapHeader()
            for _ in 0..<count {
                let label = try reader.readInt()
                switch label {
                case SealingFormat.labelKid where kid == nil:
                    kid = try reader.readByteString()
                case SealingFormat.labelPartialIV where partialIV == nil:
                    partialIV = try reader.readByteString()
                default:
                    throw SealingError(.malformed, "unexpected or repeated unprotected header label \(label)")
                }
            }
            guard let kid, !kid.isEmpty, kid.count <= SealingFormat.maxKidLength else {
                throw SealingError(.malformed, "missing or invalid kid (header 4)")
            }
            guard let partialIV else {
                throw SealingError(.malformed, "missing Partial IV (header 6)")
            }
            let ciphertext = try reader.readByteString()
            try reader.finish()

            guard let algorithm = SealingAlgorithm(rawValue: algorithmID) else {
                throw SealingError(.unsupportedAlgorithm, "algorithm \(algorithmID) is not supported (10, 1 or 3)")
            }
            guard ciphertext.count >= algorithm.tagLength else {
                throw SealingError(.malformed, "ciphertext shorter than the \(algorithm.tagLength)-byte tag")
            }
            self.sequenceNumber = try PartialIV.decode(partialIV)
            self.kidSlice = kid
            self.algorithm = algorithm
            self.contentFormat = contentFormat
            self.protectedHeader = protected
            self.ciphertext = ciphertext
        } catch let error as CBORError {
            throw SealingError(.malformed, "malformed sealed payload: \(error)")
        }
    }

    private static func parseProtected(_ bytes: ArraySlice<UInt8>) throws -> (algorithm: Int, contentFormat: UInt16) {
        if let fast = parseDeterministicProtected(bytes) { return fast }
        var reader = try CBORReader(bytes, limits: limits)
        var algorithm: Int64? = nil
        var contentFormat: UInt64? = nil
        let count = try reader.readMapHeader()
        for _ in 0..<count {
            let label = try reader.readInt()
            switch label {
            case SealingFormat.labelAlgorithm where algorithm == nil:
                algorithm = try reader.readInt()
            case SealingFormat.labelContentType where contentFormat == nil:
                contentFormat = try reader.readUnsigned()
            default:
                throw SealingError(.malformed, "unexpected or repeated protected header label \(label)")
            }
        }
        try reader.finish()
        guard let algorithm else {
            throw SealingError(.malformed, "missing algorithm (protected header 1)")
        }
        guard let contentFormat, contentFormat <= UInt64(UInt16.max) else {
            throw SealingError(.malformed, "missing or invalid content-format (protected header 3)")
        }
        guard let id = Int(exactly: algorithm) else {
            throw SealingError(.unsupportedAlgorithm, "algorithm \(algorithm) is not supported (10, 1 or 3)")
        }
        return (id, UInt16(contentFormat))
    }

    /// The protected header as this format's senders write it — `A2 01 <alg> 03 <cf>`, alg a
    /// one-byte integer and cf at most two bytes — read without a general CBOR pass. Anything else
    /// returns `nil` and goes through the general parser, which gives the same result for these bytes.
    private static func parseDeterministicProtected(_ bytes: ArraySlice<UInt8>) -> (algorithm: Int, contentFormat: UInt16)? {
        let start = bytes.startIndex
        guard bytes.count >= 5, bytes[start] == 0xA2, bytes[start + 1] == 0x01, bytes[start + 2] < 0x18,
              bytes[start + 3] == 0x03
        else { return nil }
        let algorithm = Int(bytes[start + 2])
        let head = bytes[start + 4]
        switch (head, bytes.count) {
        case (0x00...0x17, 5): return (algorithm, UInt16(head))
        case (0x18, 6): return (algorithm, UInt16(bytes[start + 5]))
        case (0x19, 7): return (algorithm, UInt16(bytes[start + 5]) << 8 | UInt16(bytes[start + 6]))
        default: return nil
        }
    }

    /// The kid as lowercase hex.
    public var kidHex: String { Hex.encode(kidSlice) }
}
