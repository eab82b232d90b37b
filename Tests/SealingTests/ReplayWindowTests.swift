import Foundation
import Sealing
import Testing

@Suite("ReplayWindow")
struct ReplayWindowTests {
    @Test("empty window accepts anything once")
    func empty() {
        var window = ReplayWindow()
        #expect(window.isFresh(0))
        #expect(window.isFresh(1 << 39))
        do { let accepted = window.record(7); #expect(accepted) }
        #expect(!window.isFresh(7))
        do { let accepted = window.record(7); #expect(!accepted) }
        #expect(window.highest == 7)
    }

    @Test("window edges: 63 below the highest is inside, 64 below is too old")
    func edges() {
        var window = ReplayWindow()
        window.record(100)
        #expect(!window.isFresh(100))
        #expect(window.isFresh(99))
        #expect(window.isFresh(37))    // distance 63
        #expect(!window.isFresh(36))   // distance 64
        #expect(!window.isFresh(0))
        do { let accepted = window.record(37); #expect(accepted) }
        #expect(!window.isFresh(37))
        do { let accepted = window.record(101); #expect(accepted) }
        #expect(!window.isFresh(37))   // now distance 64
        #expect(window.isFresh(38))
        #expect(!window.isFresh(100))
    }

    @Test("out-of-order arrivals inside the window are each accepted once")
    func outOfOrder() {
        var window = ReplayWindow()
        for seq: UInt64 in [10, 5, 8, 20, 6, 19, 7] {
            do { let accepted = window.record(seq); #expect(accepted, "seq \(seq)") }
        }
        for seq: UInt64 in [10, 5, 8, 20, 6, 19, 7] {
            #expect(!window.isFresh(seq), "seq \(seq)")
        }
        #expect(window.isFresh(9))
        #expect(window.isFresh(21))
    }

    @Test("a jump of 64 or more clears the window")
    func bigJump() {
        var window = ReplayWindow()
        window.record(1)
        window.record(2)
        window.record(1000)
        #expect(window.bitmap == 1)
        #expect(window.isFresh(999))
        #expect(window.isFresh(937))
        #expect(!window.isFresh(936))
        window.record(1064)
        #expect(!window.isFresh(1000))   // distance 64: too old
        #expect(window.isFresh(1001))
    }

    @Test("persist and restore, as a value and through Codable")
    func persistence() throws {
        var window = ReplayWindow()
        for seq: UInt64 in [3, 9, 12] { window.record(seq) }
        let restored = ReplayWindow(highest: window.highest, bitmap: window.bitmap)
        #expect(restored == window)
        let decoded = try JSONDecoder().decode(ReplayWindow.self, from: JSONEncoder().encode(window))
        #expect(decoded == window)
        for seq: UInt64 in [3, 9, 12] { #expect(!decoded.isFresh(seq)) }
        #expect(decoded.isFresh(10))
        #expect(ReplayWindow(highest: nil, bitmap: 0xff) == ReplayWindow())
    }

    @Test("a merged window refuses what either refused, and nothing else")
    func merge() {
        var older = ReplayWindow(), newer = ReplayWindow()
        for seq: UInt64 in [1, 2, 5] { older.record(seq) }
        for seq: UInt64 in [4, 7, 9] { newer.record(seq) }
        let merged = older.merged(with: newer)
        #expect(merged == newer.merged(with: older))
        #expect(merged.highest == 9)
        for seq: UInt64 in [1, 2, 4, 5, 7, 9] { #expect(!merged.isFresh(seq), "\(seq)") }
        for seq: UInt64 in [3, 6, 8, 10] { #expect(merged.isFresh(seq), "\(seq)") }
        #expect(older.merged(with: ReplayWindow()) == older && ReplayWindow().merged(with: newer) == newer)
        // A window 64 or more behind adds nothing the newer one does not already refuse.
        var far = ReplayWindow()
        far.record(200)
        #expect(older.merged(with: far) == far)
    }
}
