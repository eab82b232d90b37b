/// Which sealed message: its kid and sequence number (unique per key while the key lives).
struct SealedMessageID: Hashable, Sendable {
    var kid: [UInt8]
    var sequenceNumber: UInt64
}
