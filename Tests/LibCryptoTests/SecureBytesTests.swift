import LibCrypto
import Testing

@Suite("SecureBytes")
struct SecureBytesTests {
    @Test("description and debugDescription never show the bytes")
    func redaction() throws {
        let secret = SecureBytes([0xde, 0xad, 0xbe, 0xef])
        for text in [secret.description, secret.debugDescription, "\(secret)", String(reflecting: secret)] {
            #expect(!text.lowercased().contains("dead"))
            #expect(!text.contains("222"))   // 0xde
            #expect(text.contains("4 bytes"))
        }
    }

    @Test("equality compares contents; copies share storage safely")
    func equality() throws {
        let a = SecureBytes([1, 2, 3])
        let b = SecureBytes([1, 2, 3])
        let c = SecureBytes([1, 2, 4])
        #expect(a == b)
        #expect(a != c)
        #expect(a != SecureBytes([1, 2]))
        #expect(SecureBytes([UInt8]()) == SecureBytes([UInt8]()))
        let copy = a
        #expect(copy.withUnsafeBytes { Array($0) } == [1, 2, 3])
    }

    @Test("random bytes have the requested length and differ")
    func random() throws {
        let a = try SecureBytes.random(count: 32)
        let b = try SecureBytes.random(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
        #expect(throws: CryptoError.self) { try SecureRandom.bytes(count: -1) }
    }

    @Test("initializingWith fills in place; wipe zeroes an ordinary buffer")
    func inPlace() throws {
        let value = SecureBytes(count: 4) { buffer in
            for i in 0..<4 { buffer[i] = UInt8(i + 10) }
        }
        #expect(value.withUnsafeBytes { Array($0) } == [10, 11, 12, 13])
        var plain: [UInt8] = [9, 9, 9]
        plain.withUnsafeMutableBytes { SecureBytes.wipe($0) }
        #expect(plain == [0, 0, 0])
    }
}
