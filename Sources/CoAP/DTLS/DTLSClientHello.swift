/// What the server's front door reads of a datagram from a peer it has no session with: whether
/// it is a DTLS ClientHello (RFC 6347 §4.1, §4.2), and if so its record sequence and its cookie.
///
/// Only an unfragmented ClientHello in a handshake record of epoch 0 counts: libcoap makes a
/// session for nothing else, and OpenSSL's `DTLSv1_listen` refuses fragmented ones too.
struct DTLSClientHello: Equatable {
    /// The record's epoch and sequence number (8 bytes): a HelloVerifyRequest echoes them
    /// (RFC 6347 §4.2.1).
    var recordSequence: [UInt8]
    /// The cookie the client returned; empty in a first ClientHello.
    var cookie: [UInt8]

    /// The DTLS record header: type, version, epoch, sequence number, length.
    static let recordHeaderLength = 13
    /// The DTLS handshake header: type, length, message sequence, fragment offset and length.
    static let handshakeHeaderLength = 12
    /// How much of a datagram the reader needs at most: headers, client version and random,
    /// session id and cookie at their longest.
    static let prefixLength = recordHeaderLength + handshakeHeaderLength + 2 + 32 + 1 + 32 + 1 + 255

    private static let handshakeRecord: UInt8 = 22
    private static let clientHelloMessage: UInt8 = 1

    /// Reads `prefix`, the first bytes of a datagram of `datagramLength` bytes; nil when it is not
    /// an unfragmented ClientHello.
    init?(prefix: UnsafeRawBufferPointer, datagramLength: Int) {
        let h = Self.recordHeaderLength
        guard prefix.count >= h + Self.handshakeHeaderLength + 2 + 32 + 1,
              prefix[0] == Self.handshakeRecord, prefix[1] == 0xFE,
              prefix[3] == 0, prefix[4] == 0  // epoch 0: sent in the clear
        else { return nil }
        let recordLength = Int(prefix[11]) << 8 | Int(prefix[12])
        guard recordLength >= Self.handshakeHeaderLength, h + recordLength <= datagramLength,
              prefix[h] == Self.clientHelloMessage
        else { return nil }
        let messageLength = Self.uint24(prefix, at: h + 1)
        let fragmentOffset = Self.uint24(prefix, at: h + 6)
        let fragmentLength = Self.uint24(prefix, at: h + 9)
        guard fragmentOffset == 0, fragmentLength == messageLength,
              Self.handshakeHeaderLength + messageLength <= recordLength
        else { return nil }
        var at = h + Self.handshakeHeaderLength + 2 + 32  // client version, random
        let sessionIDLength = Int(prefix[at])
        guard sessionIDLength <= 32, at + 1 + sessionIDLength < prefix.count else { return nil }
        at += 1 + sessionIDLength
        let cookieLength = Int(prefix[at])
        guard at + 1 + cookieLength <= prefix.count,
              at + 1 + cookieLength <= h + Self.handshakeHeaderLength + messageLength
        else { return nil }
        recordSequence = Array(prefix[3..<11])
        cookie = Array(prefix[(at + 1)..<(at + 1 + cookieLength)])
    }

    /// A HelloVerifyRequest carrying `cookie`, as OpenSSL's `DTLSv1_listen` writes one: DTLS 1.0
    /// version numbers (RFC 6347 §4.2.1 asks for them whatever version is negotiated later), the
    /// ClientHello's record sequence, message sequence 0, unfragmented.
    static func helloVerifyRequest(answering hello: DTLSClientHello, cookie: [UInt8]) -> [UInt8] {
        precondition(cookie.count <= 255 && hello.recordSequence.count == 8)
        let bodyLength = 2 + 1 + cookie.count
        let recordLength = handshakeHeaderLength + bodyLength
        var out: [UInt8] = [handshakeRecord, 0xFE, 0xFF]
        out.reserveCapacity(recordHeaderLength + recordLength)
        out += hello.recordSequence
        out += [UInt8(recordLength >> 8), UInt8(recordLength & 0xFF)]
        out += [3]  // hello_verify_request
        out += uint24Bytes(bodyLength)
        out += [0, 0]  // message sequence
        out += [0, 0, 0]  // fragment offset
        out += uint24Bytes(bodyLength)
        out += [0xFE, 0xFF, UInt8(cookie.count)]
        out += cookie
        return out
    }

    private static func uint24(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int {
        Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
    }

    private static func uint24Bytes(_ value: Int) -> [UInt8] {
        [UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
