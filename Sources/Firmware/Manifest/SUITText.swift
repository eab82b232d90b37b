internal import CBOR

/// `suit-text`: human-readable descriptions of the manifest and its components, optionally per
/// language (RFC 5646 tags as keys, as the draft has it since revision 25; an older manifest has
/// the fields directly, which is read as language "").
public struct SUITText: Hashable, Sendable {
    /// Text component keys (suit-text-*): per component.
    public enum ComponentKey: UInt64, Sendable, CaseIterable {
        case vendorName = 1, modelName = 2, vendorDomain = 3, modelInfo = 4, componentDescription = 5, componentVersion = 6
        case versionRequired = 7

        /// The draft's name.
        public var name: String {
            switch self {
            case .vendorName: "vendor-name"
            case .modelName: "model-name"
            case .vendorDomain: "vendor-domain"
            case .modelInfo: "model-info"
            case .componentDescription: "component-description"
            case .componentVersion: "component-version"
            case .versionRequired: "version-required"
            }
        }
    }

    /// The texts for one language.
    public struct Entries: Hashable, Sendable {
        /// Manifest-level fields by key (1 manifest-description, 2 update-description, 3 JSON
        /// source, 4 YAML source).
        public var manifest: [UInt64: String] = [:]
        /// Per component, its fields by ``ComponentKey``.
        public var components: [SUITComponentIdentifier: [ComponentKey: String]] = [:]

        /// No texts.
        public init() {}
    }

    /// By language tag ("" for untagged text).
    public var languages: [String: Entries]

    /// Texts by language.
    public init(languages: [String: Entries]) { self.languages = languages }

    /// The `component-version` text of `component`, in any language (the first by tag order).
    public func componentVersion(of component: SUITComponentIdentifier) -> String? {
        languages.keys.sorted().lazy.compactMap { languages[$0]?.components[component]?[.componentVersion] }.first
    }

    init(cbor value: CBOR, _ path: String) throws {
        let entries = try SUITDecoding.map(value, path)
        if entries.allSatisfy({ $0.key.stringValue != nil }) && !entries.isEmpty {
            var languages: [String: Entries] = [:]
            for entry in entries {
                let tag = entry.key.stringValue!
                languages[tag] = try Self.entries(entry.value, "\(path).\(tag)")
            }
            self.languages = languages
        } else {
            languages = ["": try Self.entries(value, path)]
        }
    }

    private static func entries(_ value: CBOR, _ path: String) throws -> Entries {
        var result = Entries()
        for entry in try SUITDecoding.map(value, path) {
            switch entry.key {
            case .unsignedInt(let key):
                result.manifest[key] = try SUITDecoding.text(entry.value, "\(path).\(key)")
            case .array:
                let component = try SUITComponentIdentifier(cbor: entry.key, path)
                let here = "\(path).\(component)"
                var fields: [ComponentKey: String] = [:]
                for (rawKey, text) in try SUITDecoding.intKeyedMap(entry.value, here) {
                    guard rawKey >= 0, let key = ComponentKey(rawValue: UInt64(rawKey)) else {
                        throw SUITError.unsupported(here, "text field \(rawKey) is not implemented")
                    }
                    fields[key] = try SUITDecoding.text(text, "\(here).\(key.name)")
                }
                result.components[component] = fields
            default:
                throw SUITError.malformed(path, "a text key is an unsigned integer or a component identifier")
            }
        }
        return result
    }

    var cbor: CBOR {
        func map(_ entries: Entries) -> CBOR {
            .map(
                entries.manifest.map { CBOR.MapEntry(key: .unsignedInt($0.key), value: .textString($0.value)) }
                    + entries.components.map { component, fields in
                        CBOR.MapEntry(
                            key: component.cbor,
                            value: .map(fields.map { CBOR.MapEntry(key: .unsignedInt($0.key.rawValue), value: .textString($0.value)) }))
                    })
        }
        if languages.count == 1, let untagged = languages[""] { return map(untagged) }
        return .map(languages.map { CBOR.MapEntry(key: .textString($0.key), value: map($0.value)) })
    }
}
