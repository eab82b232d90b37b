internal import CBOR

/// A SUIT manifest (draft-ietf-suit-manifest §8.4): what an update is, which devices it is for,
/// and the command sequences that check and install it.
///
/// Decoding is strict: a member, command or parameter outside what this module implements is a
/// ``SUITError/Code/unsupported`` error. Use ``SUITEnvelope`` to read a signed envelope; a manifest
/// taken out of an envelope has not been authenticated by itself.
public struct SUITManifest: Hashable, Sendable {
    /// The manifest members (keys of the manifest map).
    public enum Member: Int64, Sendable, CaseIterable {
        case version = 1, sequenceNumber = 2, common = 3, referenceURI = 4
        case validate = 7, load = 8, invoke = 9, payloadFetch = 16, install = 20, text = 23

        /// The draft's name.
        public var name: String {
            switch self {
            case .version: "manifest-version"
            case .sequenceNumber: "manifest-sequence-number"
            case .common: "common"
            case .referenceURI: "reference-uri"
            case .validate: "validate"
            case .load: "load"
            case .invoke: "invoke"
            case .payloadFetch: "payload-fetch"
            case .install: "install"
            case .text: "text"
            }
        }

        /// Whether the member may be severed from the manifest.
        public var isSeverable: Bool { self == .payloadFetch || self == .install || self == .text }
    }

    /// The only manifest version implemented.
    public static let supportedVersion: UInt64 = 1

    /// The manifest sequence number: the anti-rollback counter. A device accepts a manifest only
    /// with a number greater than the one it has installed.
    public var sequenceNumber: UInt64
    /// The common section.
    public var common: SUITCommon
    /// `reference-uri`: where the manifest itself can be found.
    public var referenceURI: String?
    /// `validate`: checks the installed image (usually `condition-image-match`).
    public var validate: SUITCommandSequence?
    /// `load`: copies an image to where it runs.
    public var load: SUITCommandSequence?
    /// `invoke`: starts the image.
    public var invoke: SUITCommandSequence?
    /// `payload-fetch`: fetches a payload without installing it.
    public var payloadFetch: SUITSeverable<SUITCommandSequence>?
    /// `install`: fetches and installs (usually override uri, `directive-fetch`, `condition-image-match`).
    public var install: SUITSeverable<SUITCommandSequence>?
    /// `text`: human-readable descriptions.
    public var text: SUITSeverable<SUITText>?

    /// A manifest.
    public init(
        sequenceNumber: UInt64, common: SUITCommon, referenceURI: String? = nil, validate: SUITCommandSequence? = nil,
        load: SUITCommandSequence? = nil, invoke: SUITCommandSequence? = nil, payloadFetch: SUITSeverable<SUITCommandSequence>? = nil,
        install: SUITSeverable<SUITCommandSequence>? = nil, text: SUITSeverable<SUITText>? = nil
    ) {
        self.sequenceNumber = sequenceNumber
        self.common = common
        self.referenceURI = referenceURI
        self.validate = validate
        self.load = load
        self.invoke = invoke
        self.payloadFetch = payloadFetch
        self.install = install
        self.text = text
    }

    /// Decodes an encoded manifest (the content of the envelope's `manifest` byte string).
    public init(decoding bytes: [UInt8]) throws {
        try self.init(cbor: SUITDecoding.decodeWrapped(bytes, "manifest"))
    }

    init(cbor value: CBOR) throws {
        let path = "manifest"
        var version: UInt64?, sequenceNumber: UInt64?, common: SUITCommon?
        var manifest = SUITManifest(sequenceNumber: 0, common: SUITCommon(components: [], sharedSequence: nil))
        for (rawKey, item) in try SUITDecoding.intKeyedMap(value, path) {
            guard let member = Member(rawValue: rawKey) else {
                throw SUITError.unsupported(path, "member \(rawKey) is not implemented")
            }
            let here = "\(path).\(member.name)"
            switch member {
            case .version: version = try SUITDecoding.uint(item, here)
            case .sequenceNumber: sequenceNumber = try SUITDecoding.uint(item, here)
            case .common: common = try SUITCommon(cbor: SUITDecoding.wrapped(item, here), here)
            case .referenceURI: manifest.referenceURI = try SUITDecoding.text(item, here)
            case .validate: manifest.validate = try SUITCommandSequence(wrapped: item, here)
            case .load: manifest.load = try SUITCommandSequence(wrapped: item, here)
            case .invoke: manifest.invoke = try SUITCommandSequence(wrapped: item, here)
            case .payloadFetch: manifest.payloadFetch = try Self.severable(item, here) { try SUITCommandSequence(wrapped: $0, here) }
            case .install: manifest.install = try Self.severable(item, here) { try SUITCommandSequence(wrapped: $0, here) }
            case .text: manifest.text = try Self.severable(item, here) { try SUITText(cbor: SUITDecoding.wrapped($0, here), here) }
            }
        }
        guard let version else { throw SUITError.malformed(path, "no manifest-version (key 1)") }
        guard version == Self.supportedVersion else {
            throw SUITError.unsupported(path, "manifest-version \(version) (only \(Self.supportedVersion) is implemented)")
        }
        guard let sequenceNumber else { throw SUITError.malformed(path, "no manifest-sequence-number (key 2)") }
        guard let common else { throw SUITError.malformed(path, "no common section (key 3)") }
        manifest.sequenceNumber = sequenceNumber
        manifest.common = common
        self = manifest
    }

    private static func severable<Value>(
        _ item: CBOR, _ path: String, _ decode: (CBOR) throws -> Value
    ) throws -> SUITSeverable<Value> {
        if item.arrayValue != nil { return .severed(try SUITDigest(cbor: item, path)) }
        return .present(try decode(item))
    }

    /// The manifest's CBOR map, encoded (deterministic: the bytes a signature covers).
    public func encoded() -> [UInt8] {
        var entries: [CBOR.MapEntry] = [
            CBOR.MapEntry(key: .int(Member.version.rawValue), value: .unsignedInt(Self.supportedVersion)),
            CBOR.MapEntry(key: .int(Member.sequenceNumber.rawValue), value: .unsignedInt(sequenceNumber)),
            CBOR.MapEntry(key: .int(Member.common.rawValue), value: .byteString(common.cbor.encoded())),
        ]
        func add(_ member: Member, _ value: CBOR?) {
            if let value { entries.append(CBOR.MapEntry(key: .int(member.rawValue), value: value)) }
        }
        func wrap(_ sequence: SUITCommandSequence?) -> CBOR? { sequence.map { .byteString($0.encoded()) } }
        func wrap<Value>(_ member: SUITSeverable<Value>?, _ encode: (Value) -> [UInt8]) -> CBOR? {
            switch member {
            case .present(let value): .byteString(encode(value))
            case .severed(let digest): digest.cbor
            case nil: nil
            }
        }
        add(.referenceURI, referenceURI.map(CBOR.textString))
        add(.validate, wrap(validate))
        add(.load, wrap(load))
        add(.invoke, wrap(invoke))
        add(.payloadFetch, wrap(payloadFetch) { $0.encoded() })
        add(.install, wrap(install) { $0.encoded() })
        add(.text, wrap(text) { $0.cbor.encoded() })
        return CBOR.map(entries).encoded()
    }
}
