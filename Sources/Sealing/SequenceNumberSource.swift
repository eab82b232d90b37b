/// Where a ``Sealer`` gets its sequence numbers (the Partial IVs).
///
/// An implementation must never return the same number twice for the life of the key — not across
/// restarts, not after a crash. Skipping numbers is fine. Numbers must stay below 2⁴⁰; past that,
/// throw ``SealingError/Code/sequenceExhausted`` (the key must then be rotated).
public protocol SequenceNumberSource: AnyObject, Sendable {
    /// The next unused sequence number.
    func nextSequenceNumber() throws -> UInt64
}
