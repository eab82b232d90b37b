internal import CBOR
internal import LibCrypto

/// A `SUIT_Component_Identifier`: a list of byte strings naming one component (`[h'00']` for the
/// single image of a simple device).
public struct SUITComponentIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The identifier's parts.
    public var parts: [[UInt8]]

    /// An identifier of `parts` (at least one).
    public init(_ parts: [[UInt8]]) { self.parts = parts }

    init(cbor value: CBOR, _ path: String) throws {
        let items = try SUITDecoding.array(value, path)
        guard !items.isEmpty else { throw SUITError.malformed(path, "a component identifier has at least one part") }
        parts = try items.map { try SUITDecoding.bytes($0, path) }
    }

    var cbor: CBOR { .array(parts.map(CBOR.byteString)) }

    /// `[h'00']` style.
    public var description: String { "[" + parts.map { "h'\(Hex.encode($0))'" }.joined(separator: ", ") + "]" }
}
