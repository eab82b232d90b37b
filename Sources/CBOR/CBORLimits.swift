/// Bounds that hostile input cannot exceed while decoding.
///
/// Every check happens before the corresponding allocation: a length header that claims more bytes
/// than remain, or more than ``maxStringLength``, fails at once; an array or map header claiming more
/// items than could possibly follow, or more than ``maxItems``, fails before any storage is reserved.
public struct CBORLimits: Sendable, Hashable {
    /// Deepest nesting of arrays, maps and tags (a top-level scalar has depth 0). Default 32; values
    /// above 512 are treated as 512, so recursion cannot exhaust a thread's stack.
    public var maxDepth: Int
    /// Most data items in one input, counting every nested item and map key. Default 65,536.
    public var maxItems: Int
    /// Longest byte or text string, in bytes (indefinite-length strings: their total). Default 1 MiB.
    public var maxStringLength: Int
    /// Longest input accepted, in bytes. Default 4 MiB.
    public var maxInputLength: Int

    /// Creates limits; every argument has the documented default.
    public init(
        maxDepth: Int = 32,
        maxItems: Int = 65_536,
        maxStringLength: Int = 1 << 20,
        maxInputLength: Int = 4 << 20
    ) {
        self.maxDepth = maxDepth
        self.maxItems = maxItems
        self.maxStringLength = maxStringLength
        self.maxInputLength = maxInputLength
    }

    /// The defaults: depth 32, 65,536 items, 1 MiB strings, 4 MiB input.
    public static let `default` = CBORLimits()

    /// Hard ceiling on recursion, whatever ``maxDepth`` says.
    static let recursionCeiling = 512

    var effectiveMaxDepth: Int { Swift.min(Swift.max(maxDepth, 0), Self.recursionCeiling) }
}
