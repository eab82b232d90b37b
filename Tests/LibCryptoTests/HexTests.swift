import LibCrypto
import Testing

@Suite("Hex")
struct HexTests {
    @Test("encode and decode")
    func roundTrip() throws {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(try Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(try Hex.decode("") == [])
        #expect(try Hex.decode(" 00 ab\nff\n", ignoringWhitespace: true) == [0x00, 0xab, 0xff])
    }

    @Test("errors name the problem, not the text")
    func errors() throws {
        #expect { try Hex.decode("abc") } throws: { ($0 as? CryptoError)?.code == .invalidEncoding }
        #expect { try Hex.decode("zz") } throws: {
            guard let error = $0 as? CryptoError else { return false }
            return error.code == .invalidEncoding && error.message.contains("position 0") && !error.message.contains("zz")
        }
        #expect(throws: CryptoError.self) { try Hex.decode("00 11") }
    }
}
