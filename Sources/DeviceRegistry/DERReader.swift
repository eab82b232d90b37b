/// Reads DER (ASN.1 distinguished encoding) TLVs from a byte slice: just enough to find a
/// certificate's validity and subject. Every length is checked against the bytes present.
struct DERReader {
    struct Element {
        var tag: UInt8
        /// The content bytes.
        var value: ArraySlice<UInt8>
        /// The whole TLV.
        var encoded: ArraySlice<UInt8>
    }

    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }

    mutating func read() throws -> Element {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { throw Self.malformed("truncated element") }
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { throw Self.malformed("multi-byte tags are not expected in a certificate") }
        var index = start + 1
        let first = bytes[index]
        index += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard (1...4).contains(count), bytes.endIndex - index >= count else { throw Self.malformed("bad length") }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard bytes.endIndex - index >= length else { throw Self.malformed("element longer than its container") }
        let value = bytes[index..<(index + length)]
        let encoded = bytes[start..<(index + length)]
        bytes = bytes[(index + length)...]
        return Element(tag: tag, value: value, encoded: encoded)
    }

    mutating func read(tag: UInt8, _ what: String) throws -> Element {
        let element = try read()
        guard element.tag == tag else { throw Self.malformed("expected \(what)") }
        return element
    }

    static func malformed(_ reason: String) -> DeviceRegistryError {
        DeviceRegistryError(.invalidArgument, "malformed certificate: \(reason)")
    }
}
