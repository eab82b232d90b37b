import Foundation
import Sealing
import Testing
import TestSupport

@Suite("FileSequenceNumberSource")
struct FileSequenceNumberSourceTests {
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try body(directory.path)
    }

    private func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("reserves a block durably before handing out numbers from it")
    func reservation() throws {
        try withDirectory { directory in
            let path = directory + "/seq"
            let source = try FileSequenceNumberSource(path: path, reservationSize: 10)
            #expect(!FileManager.default.fileExists(atPath: path))   // nothing written until needed
            #expect(try source.nextSequenceNumber() == 0)
            #expect(try contents(path) == "10\n")
            for expected in 1..<10 { #expect(try source.nextSequenceNumber() == UInt64(expected)) }
            #expect(try contents(path) == "10\n")
            #expect(try source.nextSequenceNumber() == 10)
            #expect(try contents(path) == "20\n")
            #expect(source.reservedUpperBound == 20)
            #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        }
    }

    @Test("a restart continues above everything handed out, never reusing a number")
    func restart() throws {
        try withDirectory { directory in
            let path = directory + "/seq"
            var used = Set<UInt64>()
            for _ in 0..<5 {
                let source = try FileSequenceNumberSource(path: path, reservationSize: 7)
                for _ in 0..<Int.random(in: 1...20) {
                    let seq = try source.nextSequenceNumber()
                    #expect(used.insert(seq).inserted, "reused \(seq)")
                }
                // The source is dropped here without any shutdown: a crash looks the same.
            }
        }
    }

    @Test("a crash in the middle of a reservation (stale temp file) loses nothing and reuses nothing")
    func crashDuringReservation() throws {
        try withDirectory { directory in
            let path = directory + "/seq"
            let first = try FileSequenceNumberSource(path: path, reservationSize: 4)
            let handedOut = try (0..<4).map { _ in try first.nextSequenceNumber() }   // 0...3, bound 4
            #expect(handedOut == [0, 1, 2, 3])
            // Simulate dying after writing the temp file but before the rename.
            try "garbage".write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
            let second = try FileSequenceNumberSource(path: path, reservationSize: 4)
            #expect(try second.nextSequenceNumber() == 4)
            #expect(try contents(path) == "8\n")
        }
    }

    @Test("sealers over the same file keep sequence numbers increasing across restarts")
    func sealerRestart() throws {
        try withDirectory { directory in
            let path = directory + "/seq"
            let key = try TestSupport.countingSecret.deriveKey(kid: [0x05])
            let ring = KeyRing()
            try ring.add(key, deviceID: "node")
            var last: UInt64? = nil
            for _ in 0..<3 {
                let sealer = try Sealer(key: key, deviceID: "node",
                                        sequenceNumbers: FileSequenceNumberSource(path: path, reservationSize: 3))
                for _ in 0..<2 {
                    let opened = try ring.openAndRecord(sealer.seal([1, 2], contentFormat: 0))
                    if let last { #expect(opened.sequenceNumber > last) }
                    last = opened.sequenceNumber
                }
            }
        }
    }

    @Test("a corrupt file is an error, never a reset to zero")
    func corrupt() throws {
        try withDirectory { directory in
            for text in ["", "abc\n", "-1\n", "12 34\n", "99999999999999999999\n", "1099511627777\n"] {
                let path = directory + "/seq-\(text.count)-\(text.hashValue)"
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                #expect(throws: SealingError.self, "\(text)") { try FileSequenceNumberSource(path: path) }
            }
        }
    }

    @Test("exhaustion at 2^40 is reported")
    func exhaustion() throws {
        try withDirectory { directory in
            let path = directory + "/seq"
            try "\((1 << 40) - 1)\n".write(toFile: path, atomically: true, encoding: .utf8)
            let source = try FileSequenceNumberSource(path: path, reservationSize: 100)
            #expect(try source.nextSequenceNumber() == (1 << 40) - 1)
            #expect(try contents(path) == "\(1 << 40)\n")
            #expect { try source.nextSequenceNumber() } throws: { ($0 as? SealingError)?.code == .sequenceExhausted }
        }
    }

    @Test("an unwritable location is a storage error")
    func unwritable() throws {
        let source = try FileSequenceNumberSource(path: "/nonexistent-dir-\(UUID().uuidString)/seq")
        #expect { try source.nextSequenceNumber() } throws: { ($0 as? SealingError)?.code == .storageFailure }
    }
}
