import CoAP
@testable import Gateway
import Testing

@Suite struct RecentMessagesTests {
    private func id(_ n: Int) -> SealedMessageID { SealedMessageID(kid: [0x20, 1], sequenceNumber: UInt64(n)) }

    @Test func entriesExpireAfterTheExchangeLifetime() {
        var recent = RecentMessages(capacity: 4)
        recent.insert(id(1), .init(time: 100, digest: 9, peer: CoAPPeerAddress(host: "a", port: 1)))
        #expect(recent.lookup(id(1), now: 100 + 246)?.peer?.host == "a")
        #expect(recent.lookup(id(1), now: 100 + 247) == nil)
    }

    @Test func theOldestIsForgottenWhenFullAndNothingIsScanned() {
        var recent = RecentMessages(capacity: 3)
        for i in 0..<10 { recent.insert(id(i), .init(time: Double(i), digest: 0, peer: CoAPPeerAddress(host: "p", port: 1))) }
        #expect(recent.count == 3)
        #expect((0..<7).allSatisfy { recent.lookup(id($0), now: 10) == nil })
        #expect((7..<10).allSatisfy { recent.lookup(id($0), now: 10) != nil })
        // Inserting a key again updates it in place and takes no second slot.
        recent.insert(id(9), .init(time: 11, digest: 1, peer: CoAPPeerAddress(host: "q", port: 1)))
        #expect(recent.count == 3 && recent.lookup(id(9), now: 12)?.peer?.host == "q")
    }

    @Test func theDigestTellsAnyChangedByteOrLengthApart() {
        let message: [UInt8] = (0..<110).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let digest = RecentMessages.digest(of: message)
        #expect(RecentMessages.digest(of: Array(message)) == digest)
        for i in message.indices {
            var changed = message
            changed[i] ^= 0x01
            #expect(RecentMessages.digest(of: changed) != digest, "byte \(i) flipped")
        }
        #expect(RecentMessages.digest(of: Array(message.dropLast())) != digest)
        #expect(RecentMessages.digest(of: message + [0]) != digest)
    }
}
