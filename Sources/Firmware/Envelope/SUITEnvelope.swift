public import CBOR

/// A SUIT envelope (draft-ietf-suit-manifest §8.2, CBOR tag 107): the manifest, its
/// authentication wrapper (a SHA-256 digest of the manifest and COSE_Sign1 signatures over it),
/// severed members and integrated payloads.
///
/// ``init(decoding:)`` checks everything that needs no key: the structure, the digest of the
/// manifest as it is encoded in the envelope, and the digest of each severed member the envelope
/// carries. ``verify(trustAnchors:)`` then checks the signatures. Use the manifest only after
/// both have passed.
///
/// ```swift
/// let envelope = try SUITEnvelope(decoding: bytes)
/// let signer = try envelope.verify(trustAnchors: [anchor])
/// print(envelope.manifest.sequenceNumber, signer.fingerprint)
/// ```
public struct SUITEnvelope: Sendable, Hashable {
    /// The SUIT_Envelope tag.
    public static let tag: UInt64 = 107

    /// Bounds for decoding an envelope: a manifest of a few kilobytes and integrated payloads up
    /// to 1 MiB. An image is delivered separately, block-wise, not inside the envelope.
    public static let limits = CBORLimits(maxDepth: 16, maxItems: 16_384, maxStringLength: 1 << 20, maxInputLength: 2 << 20)

    /// The digest the authentication wrapper holds for the manifest (checked at decoding).
    public let digest: SUITDigest
    /// The signature blocks of the authentication wrapper.
    public let signatures: [COSESign1]
    /// The manifest, with each severed member the envelope carries put back in place.
    public let manifest: SUITManifest
    /// The manifest as it is encoded in the envelope (the content of its byte string).
    public let encodedManifest: [UInt8]
    /// Integrated payloads, by their text key (`"#firmware"`).
    public let integratedPayloads: [String: [UInt8]]
    /// The envelope's bytes, exactly as decoded or built.
    public let encoded: [UInt8]
    /// The encoded SUIT_Digest: what each signature signs (the detached COSE payload).
    private let encodedDigest: [UInt8]

    /// Decodes and checks an envelope. Throws ``SUITError``: `.malformed` for a wrong shape,
    /// `.unsupported` for anything not implemented, `.digestMismatch` when the manifest or a
    /// severed member does not match its digest.
    public init(decoding bytes: [UInt8]) throws {
        var reader: CBORReader
        do {
            reader = try CBORReader(bytes, limits: Self.limits)
        } catch {
            throw SUITError.malformed("envelope", "\(error)")
        }
        var members: [Int64: (value: CBOR, raw: ArraySlice<UInt8>)] = [:]
        var payloads: [String: [UInt8]] = [:]
        do {
            if reader.nextMajorType == 6 {
                let tag = try reader.readTag()
                guard tag == Self.tag else { throw SUITError.malformed("envelope", "CBOR tag \(tag) is not SUIT_Envelope (107)") }
            }
            let count = try reader.readMapHeader()
            for _ in 0..<count {
                let key = try reader.readValue()
                let start = reader.offset
                let value = try reader.readValue()
                let raw = bytes[start..<reader.offset]
                if let name = key.stringValue {
                    guard payloads[name] == nil else { throw SUITError.malformed("envelope", "integrated payload \(name) twice") }
                    payloads[name] = try SUITDecoding.bytes(value, "envelope.\(name)")
                } else if let number = key.int64Value {
                    guard members[number] == nil else { throw SUITError.malformed("envelope", "member \(number) twice") }
                    members[number] = (value, raw)
                } else {
                    throw SUITError.malformed("envelope", "member key \(key) is neither an integer nor text")
                }
            }
            try reader.finish()
        } catch let error as SUITError {
            throw error
        } catch {
            throw SUITError.malformed("envelope", "\(error)")
        }

        for key in members.keys where ![2, 3].contains(key) && !(SUITManifest.Member(rawValue: key)?.isSeverable ?? false) {
            throw SUITError.unsupported("envelope", key == 1 ? "delegation chains (member 1) are not implemented" : "member \(key) is not implemented")
        }
        guard let wrapper = members[2] else { throw SUITError(.unsigned, "envelope: no authentication wrapper (member 2)") }
        guard let manifestMember = members[3] else { throw SUITError.malformed("envelope", "no manifest (member 3)") }

        let blocks = try SUITDecoding.array(SUITDecoding.wrapped(wrapper.value, "authentication-wrapper"), "authentication-wrapper")
        guard let first = blocks.first else { throw SUITError.malformed("authentication-wrapper", "empty") }
        encodedDigest = try SUITDecoding.bytes(first, "authentication-wrapper.digest")
        digest = try SUITDigest(cbor: SUITDecoding.decodeWrapped(encodedDigest, "authentication-wrapper.digest"), "authentication-wrapper.digest")
        signatures = try blocks.dropFirst().enumerated().map { index, block in
            let path = "authentication-wrapper[\(index + 1)]"
            return try COSESign1(cbor: SUITDecoding.wrapped(block, path), path)
        }

        // The digest covers the manifest's byte string as encoded here, header included.
        guard digest.matches(manifestMember.raw) else {
            throw SUITError(.digestMismatch, "envelope: the manifest does not match the authentication wrapper's digest")
        }
        encodedManifest = try SUITDecoding.bytes(manifestMember.value, "manifest")
        var manifest = try SUITManifest(decoding: encodedManifest)
        for member in SUITManifest.Member.allCases where member.isSeverable {
            guard let carried = members[member.rawValue] else { continue }
            let path = "envelope.\(member.name)"
            let expected: SUITDigest?
            switch member {
            case .install: expected = manifest.install.flatMap(Self.severedDigest)
            case .payloadFetch: expected = manifest.payloadFetch.flatMap(Self.severedDigest)
            default: expected = manifest.text.flatMap(Self.severedDigest)
            }
            guard let expected else { throw SUITError.malformed(path, "the manifest does not sever this member") }
            guard expected.matches(carried.raw) else {
                throw SUITError(.digestMismatch, "\(path): does not match the digest the manifest holds for it")
            }
            switch member {
            case .install: manifest.install = .present(try SUITCommandSequence(wrapped: carried.value, path))
            case .payloadFetch: manifest.payloadFetch = .present(try SUITCommandSequence(wrapped: carried.value, path))
            default: manifest.text = .present(try SUITText(cbor: SUITDecoding.wrapped(carried.value, path), path))
            }
        }
        self.manifest = manifest
        integratedPayloads = payloads
        encoded = bytes
    }

    private static func severedDigest<Value>(_ member: SUITSeverable<Value>) -> SUITDigest? {
        if case .severed(let digest) = member { return digest }
        return nil
    }

    /// Checks the signatures: returns the trust anchor that one of them verifies with. Throws
    /// ``SUITError/Code/unsigned`` when there is no signature and ``SUITError/Code/badSignature``
    /// when none verifies with any of `trustAnchors` (altered bytes, or a signer not trusted).
    @discardableResult
    public func verify(trustAnchors: [SUITTrustAnchor]) throws -> SUITTrustAnchor {
        guard !signatures.isEmpty else { throw SUITError(.unsigned, "the envelope has a digest but no signature") }
        var unsupported: SUITError?
        for signature in signatures {
            if let payload = signature.payload, payload != encodedDigest { continue }
            let algorithm: SUITSignatureAlgorithm
            do {
                algorithm = try signature.algorithm()
            } catch let error as SUITError {
                unsupported = error
                continue
            }
            let signed = COSESign1.toBeSigned(protectedHeader: signature.protectedHeader, payload: encodedDigest)
            if let anchor = trustAnchors.first(where: { $0.isValidSignature(signature.signature, algorithm: algorithm, for: signed) }) {
                return anchor
            }
        }
        if let unsupported, signatures.count == 1 { throw unsupported }
        throw SUITError(
            .badSignature,
            "no signature verifies with \(trustAnchors.isEmpty ? "any trust anchor (none given)" : trustAnchors.map(\.description).joined(separator: ", "))")
    }

    /// Signs `manifest` with `key`: the manifest is encoded, its digest taken and signed
    /// (COSE_Sign1, detached payload). The members named in `severing` are severed: the manifest
    /// holds their digest and the envelope carries them.
    public static func sign(_ manifest: SUITManifest, with key: FirmwareSigningKey, severing: Set<SUITManifest.Member> = []) throws -> SUITEnvelope {
        var signedManifest = manifest
        var severed: [(SUITManifest.Member, [UInt8])] = []
        func sever<Value>(_ member: SUITManifest.Member, _ value: SUITSeverable<Value>?, _ encode: (Value) -> [UInt8]) throws -> SUITSeverable<Value>? {
            guard severing.contains(member), case .present(let present) = value else { return value }
            var writer = CBORWriter()
            writer.writeByteString(encode(present))
            severed.append((member, writer.bytes))
            return .severed(try SUITDigest.sha256(of: writer.bytes))
        }
        signedManifest.install = try sever(.install, manifest.install) { $0.encoded() }
        signedManifest.payloadFetch = try sever(.payloadFetch, manifest.payloadFetch) { $0.encoded() }
        signedManifest.text = try sever(.text, manifest.text) { $0.cbor.encoded() }

        var manifestMember = CBORWriter()
        manifestMember.writeByteString(signedManifest.encoded())
        let digest = try SUITDigest.sha256(of: manifestMember.bytes)
        let encodedDigest = digest.cbor.encoded()
        let protectedHeader = COSESign1.protectedHeader(for: key.algorithm)
        let signature = COSESign1(
            protectedHeader: protectedHeader, payload: nil,
            signature: try key.sign(COSESign1.toBeSigned(protectedHeader: protectedHeader, payload: encodedDigest)))
        let wrapper = CBOR.array([.byteString(encodedDigest), .byteString(signature.cbor.encoded())]).encoded()

        var writer = CBORWriter(capacity: 64 + manifestMember.bytes.count + wrapper.count)
        writer.writeTag(tag)
        writer.writeMapHeader(count: 2 + severed.count)
        writer.writeUnsigned(2)
        writer.writeByteString(wrapper)
        writer.writeUnsigned(3)
        writer.bytes += manifestMember.bytes
        for (member, bytes) in severed.sorted(by: { $0.0.rawValue < $1.0.rawValue }) {
            writer.writeUnsigned(UInt64(member.rawValue))
            writer.bytes += bytes
        }
        return try SUITEnvelope(decoding: writer.bytes)
    }
}
