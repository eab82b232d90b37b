/// A severable manifest member (install, payload-fetch, text): either carried in the manifest, or
/// severed from it, the manifest then holding only its digest and the envelope (optionally) the
/// member itself.
public enum SUITSeverable<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The member itself.
    case present(Value)
    /// Only the member's digest: the envelope has to supply the member to use it.
    case severed(SUITDigest)

    /// The member, when it is present.
    public var value: Value? {
        if case .present(let value) = self { return value }
        return nil
    }
}
