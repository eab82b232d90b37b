import LibCrypto
import Testing

@Suite("SHA256")
struct SHA256Tests {
    @Test("FIPS 180-2 examples, one-shot")
    func oneShot() throws {
        #expect(Hex.encode(try SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(try SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("incremental equals one-shot; a million 'a'")
    func incremental() throws {
        var hasher = try SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(Hex.encode(try hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")

        let data = try SecureRandom.bytes(count: 777)
        var split = try SHA256()
        split.update(data[0..<100])
        split.update(data[100..<100])
        split.update(data[100...])
        #expect(try split.finalize() == SHA256.hash(data))
    }
}
