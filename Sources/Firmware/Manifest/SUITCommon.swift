internal import CBOR

/// `suit-common`: the components a manifest acts on and the sequence shared by all its other
/// sequences (where vendor and class ids, digest and size are usually set and checked).
public struct SUITCommon: Hashable, Sendable {
    /// The components (`suit-components`, key 2), at least one.
    public var components: [SUITComponentIdentifier]
    /// `suit-shared-sequence` (key 4).
    public var sharedSequence: SUITCommandSequence?

    /// A common section.
    public init(components: [SUITComponentIdentifier], sharedSequence: SUITCommandSequence?) {
        self.components = components
        self.sharedSequence = sharedSequence
    }

    init(cbor value: CBOR, _ path: String) throws {
        var components: [SUITComponentIdentifier]?
        for (key, item) in try SUITDecoding.intKeyedMap(value, path) {
            switch key {
            case 2:
                components = try SUITDecoding.array(item, path + ".components").enumerated().map {
                    try SUITComponentIdentifier(cbor: $0.element, "\(path).components[\($0.offset)]")
                }
            case 4: sharedSequence = try SUITCommandSequence(wrapped: item, path + ".shared-sequence")
            case 1: throw SUITError.unsupported(path, "dependencies (key 1) are not implemented")
            default: throw SUITError.unsupported(path, "member \(key) is not implemented")
            }
        }
        guard let components, !components.isEmpty else { throw SUITError.malformed(path, "no components (key 2)") }
        self.components = components
    }

    var cbor: CBOR {
        var entries = [CBOR.MapEntry(key: 2, value: .array(components.map(\.cbor)))]
        if let sharedSequence { entries.append(CBOR.MapEntry(key: 4, value: .byteString(sharedSequence.encoded()))) }
        return .map(entries)
    }
}
