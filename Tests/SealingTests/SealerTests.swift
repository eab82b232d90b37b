import CBOR
import Foundation
import LibCrypto
import Sealing
import Testing
import Platform
import TestSupport

@Suite("Sealer")
struct SealerTests {
    @Test("random round trips for each algorithm and many sizes", arguments: SealingAlgorithm.allCases)
    func roundTrips(algorithm: SealingAlgorithm) throws {
        let secret = try TestSupport.randomSecret()
        let key = try secret.deriveKey(kid: SecureRandom.bytes(count: Int.random(in: 1...8)), algorithm: algorithm)
        let sealer = try Sealer(key: key, deviceID: "node-7", sequenceNumbers: InMemorySequenceNumberSource())
        let ring = KeyRing()
        try ring.add(key, deviceID: "node-7")
        for size in [0, 1, 2, 15, 16, 17, 63, 64, 65, 200, 1000, 1024, 4096] + (0..<20).map({ _ in Int.random(in: 0...3000) }) {
            let plaintext = try SecureRandom.bytes(count: size)
            let contentFormat = UInt16.random(in: 0...UInt16.max)
            let message = try sealer.seal(plaintext, contentFormat: contentFormat)
            let opened = try ring.openAndRecord(message, deviceID: "node-7")
            #expect(opened.plaintext == plaintext)
            #expect(opened.contentFormat == contentFormat)
            #expect(opened.kid == key.kid)
            #expect(opened.algorithm == algorithm)
            #expect(opened.deviceID == "node-7")
            // The stateless path agrees.
            #expect(try secret.open(message, deviceID: "node-7").plaintext == plaintext)
        }
    }

    @Test("wire format: tag 16, protected {1: alg, 3: cf}, unprotected {4: kid, 6: PIV}, ciphertext")
    func wireFormat() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x01])
        let message = try key.seal(Array("hello".utf8), contentFormat: 112, deviceID: "dev1", sequenceNumber: 5)
        let value = try CBOR(decoding: message)
        let (tag, body) = try #require(value.taggedValue)
        #expect(tag == 16)
        let items = try #require(body.arrayValue)
        #expect(items.count == 3)
        #expect(items[0].bytesValue == [0xa2, 0x01, 0x0a, 0x03, 0x18, 0x70])
        #expect(items[1] == [4: .byteString([0x01]), 6: .byteString([0x05])])
        #expect(items[2].bytesValue?.count == 5 + 8)
        // Deterministic: sealing the same input twice gives the same bytes (the nonce is the seq).
        #expect(try key.seal(Array("hello".utf8), contentFormat: 112, deviceID: "dev1", sequenceNumber: 5) == message)
    }

    @Test("Partial IV: minimal big-endian, seq 0 is one zero byte, at most 5 bytes")
    func partialIV() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x01])
        let cases: [(UInt64, [UInt8])] = [
            (0, [0x00]), (1, [0x01]), (255, [0xff]), (256, [0x01, 0x00]), (65_536, [0x01, 0x00, 0x00]),
            ((1 << 40) - 1, [0xff, 0xff, 0xff, 0xff, 0xff]),
        ]
        for (seq, piv) in cases {
            let message = try key.seal([], contentFormat: 0, deviceID: "d", sequenceNumber: seq)
            let payload = try SealedPayload(parsing: message)
            #expect(payload.partialIV == piv)
            #expect(payload.sequenceNumber == seq)
            let unprotected = try #require(CBOR(decoding: message).taggedValue?.value.arrayValue?[1])
            #expect(unprotected[6]?.bytesValue == piv)
        }
        #expect { try key.seal([], contentFormat: 0, deviceID: "d", sequenceNumber: 1 << 40) } throws: {
            ($0 as? SealingError)?.code == .sequenceExhausted
        }
    }

    @Test("the in-memory source refuses to go past 2^40 - 1")
    func exhaustion() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x02])
        let sealer = try Sealer(key: key, deviceID: "d", sequenceNumbers: InMemorySequenceNumberSource(startingAt: (1 << 40) - 1))
        _ = try sealer.seal([1], contentFormat: 0)
        #expect { try sealer.seal([1], contentFormat: 0) } throws: { ($0 as? SealingError)?.code == .sequenceExhausted }
    }

    @Test("concurrent seals never share a sequence number")
    func concurrentSeals() throws {
        let key = try TestSupport.countingSecret.deriveKey(kid: [0x03])
        let sealer = try Sealer(key: key, deviceID: "d", sequenceNumbers: InMemorySequenceNumberSource())
        let results = TestLocked<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: 400) { _ in
            let message = try! sealer.seal([1, 2, 3], contentFormat: 0)
            let seq = try! SealedPayload(parsing: message).sequenceNumber
            results.update { $0.append(seq) }
        }
        let sequence = results.get()
        #expect(Set(sequence).count == 400)
        #expect(sequence.max() == 399)
    }
}
