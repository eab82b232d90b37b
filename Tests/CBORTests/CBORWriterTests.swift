import CBOR
import Testing

@Suite("CBORWriter")
struct CBORWriterTests {
    @Test("streaming writes produce the same bytes as the value encoder")
    func matchesValueEncoder() {
        var writer = CBORWriter()
        writer.writeTag(16)
        writer.writeArrayHeader(count: 3)
        writer.writeByteString([0xa1, 0x01, 0x0a])
        writer.writeMapHeader(count: 2)
        writer.writeInt(4)
        writer.writeByteString([1][...])
        writer.writeInt(6)
        writer.writeByteStringHeader(count: 1)
        writer.bytes.append(0)
        writer.writeTextString("ü")
        let value: CBOR = .tagged(16, [.byteString([0xa1, 0x01, 0x0a]), [4: .byteString([1]), 6: .byteString([0])], "ü"])
        #expect(writer.bytes == value.encoded())
    }

    @Test("floats take the shortest exact form")
    func floats() {
        func encode(_ value: Double) -> String {
            var writer = CBORWriter()
            writer.writeFloat(value)
            return hex(writer.bytes)
        }
        #expect(encode(0.0) == "f90000")
        #expect(encode(-0.0) == "f98000")
        #expect(encode(65504.0) == "f97bff")
        #expect(encode(65505.0) == "fa477fe100")
        #expect(encode(0.1) == "fb3fb999999999999a")
        #expect(encode(5.960464477539063e-8) == "f90001")
        #expect(encode(0x1p-25) == "fa33000000")   // below the smallest half subnormal
        #expect(encode(0x1.8p-24) == "fa33c00000")  // 1.5 half-subnormal steps: not a half
        #expect(encode(1.0 / 3.0) == "fb3fd5555555555555")
        #expect(encode(Double(Float.greatestFiniteMagnitude)) == "fa7f7fffff")
        #expect(encode(.nan) == "f97e00")
    }

    @Test("simple values and specials")
    func simples() {
        var writer = CBORWriter()
        writer.writeBool(true)
        writer.writeBool(false)
        writer.writeNull()
        writer.writeUndefined()
        writer.writeSimple(0)
        writer.writeSimple(19)
        writer.writeSimple(32)
        #expect(hex(writer.bytes) == "f5f4f6f7e0f3f820")
    }

    @Test("encode(into:) appends")
    func appends() {
        var buffer: [UInt8] = [0xaa]
        CBOR.int(500).encode(into: &buffer)
        #expect(hex(buffer) == "aa1901f4")
    }
}
