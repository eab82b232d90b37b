#if canImport(Glibc)
import Glibc
#endif

/// A DTLS pre-shared key: 1 to 64 bytes. Its `description` never shows the bytes.
public struct PSKKey: Sendable, Equatable, CustomStringConvertible {
    /// The most bytes a key may have (libcoap's `COAP_DTLS_MAX_PSK`).
    public static let maximumLength = 64

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CoAPError) {
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength else {
            throw CoAPError(.invalidConfiguration, "a PSK key has 1 to \(Self.maximumLength) bytes (this one has \(bytes.count))")
        }
        self.bytes = bytes
    }

    /// The key's bytes are the UTF-8 of `text` (what libcoap's `coap-client -k` does).
    public init(text: String) throws(CoAPError) { try self.init(bytes: Array(text.utf8)) }

    /// The key written as hexadecimal digits (whitespace ignored).
    public init(hex: String) throws(CoAPError) {
        let digits = hex.filter { !$0.isWhitespace }
        guard digits.count % 2 == 0, !digits.isEmpty else {
            throw CoAPError(.invalidConfiguration, "a hex PSK key needs an even, non-zero number of hex digits")
        }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else {
                throw CoAPError(.invalidConfiguration, "a hex PSK key may hold only the digits 0-9 and a-f")
            }
            bytes.append(byte)
            index = next
        }
        try self.init(bytes: bytes)
    }

    /// The key read from a file: its raw bytes, without one trailing newline.
    public init(contentsOfFile path: String) throws(CoAPError) {
        guard let file = fopen(path, "rb") else {
            throw CoAPError(.invalidConfiguration, "cannot read the PSK key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > 4096 { break }
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        try self.init(bytes: bytes)
    }

    public var description: String { "PSKKey(\(bytes.count) bytes, redacted)" }
}
