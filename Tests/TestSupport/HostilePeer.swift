import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An attacker on loopback: UDP sockets bound to an address of its own (127.0.0.2 by default, so
/// that per-address caps and throttles tell it from the devices on 127.0.0.1), sending hand-made
/// DTLS ClientHellos and CoAP datagrams.
package struct HostilePeer {
    package var address = "127.0.0.2"

    package init(address: String = "127.0.0.2") { self.address = address }

    /// A UDP socket bound to the attacker's address on a port of its own.
    package func socket() throws -> UDPSocket { try UDPSocket(bindingTo: address) }

    // MARK: DTLS

    /// A DTLS 1.2 ClientHello offering PSK suites (TLS_PSK_WITH_AES_128_CCM_8, _AES_128_GCM_SHA256),
    /// with `cookie`, in a record of epoch 0 with sequence number `sequence`.
    package static func clientHello(cookie: [UInt8] = [], sequence: UInt64 = 0, messageSequence: UInt16 = 0) -> [UInt8] {
        var body: [UInt8] = [0xFE, 0xFD]  // DTLS 1.2
        body += (0..<32).map { _ in UInt8.random(in: 0...255) }
        body += [0]  // no session id
        body += [UInt8(cookie.count)] + cookie
        body += [0, 4, 0xC0, 0xA8, 0x00, 0xA8]  // cipher suites
        body += [1, 0]  // compression: null
        let length = body.count
        var handshake: [UInt8] = [1]  // client_hello
        handshake += [UInt8(length >> 16), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        handshake += [UInt8(messageSequence >> 8), UInt8(messageSequence & 0xFF)]
        handshake += [0, 0, 0]
        handshake += [UInt8(length >> 16), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        handshake += body
        var record: [UInt8] = [22, 0xFE, 0xFF, 0, 0]  // handshake, DTLS 1.0 record version, epoch 0
        record += (0..<6).map { UInt8((sequence >> (8 * (5 - UInt64($0)))) & 0xFF) }
        record += [UInt8(handshake.count >> 8), UInt8(handshake.count & 0xFF)]
        return record + handshake
    }

    /// The cookie in a HelloVerifyRequest, or nil when `datagram` is not one.
    package static func cookie(inHelloVerifyRequest datagram: [UInt8]) -> [UInt8]? {
        guard datagram.count >= 13 + 12 + 3, datagram[0] == 22, datagram[13] == 3 else { return nil }
        let length = Int(datagram[13 + 12 + 2])
        guard datagram.count >= 13 + 12 + 3 + length else { return nil }
        return Array(datagram[(13 + 12 + 3)..<(13 + 12 + 3 + length)])
    }

    /// Whether `datagram` holds a ServerHello (a handshake the server went on with).
    package static func isServerHello(_ datagram: [UInt8]) -> Bool {
        datagram.count > 13 && datagram[0] == 22 && datagram[13] == 2
    }

    /// Sends `count` first ClientHellos, each from a port of its own: what spoofed sources do.
    /// Returns how many HelloVerifyRequests came back within `wait` seconds.
    package func floodClientHellos(_ count: Int, toPort port: UInt16, wait: Double = 0) throws -> Int {
        var sockets: [UDPSocket] = []
        for _ in 0..<count {
            let s = try socket()
            s.send(Self.clientHello(), toPort: port)
            sockets.append(s)
        }
        guard wait > 0 else { return 0 }
        return sockets.reduce(0) { $0 + ($1.receive(within: wait).flatMap(Self.cookie(inHelloVerifyRequest:)) != nil ? 1 : 0) }
    }

    /// Opens `count` half-open handshakes at once: each does the cookie exchange, gets the
    /// server's first flight, and is abandoned. Returns how many got that far (the sockets stay
    /// open, silent).
    package func openHalfOpenHandshakes(_ count: Int, toPort port: UInt16) throws -> (started: Int, sockets: [UDPSocket]) {
        let sockets = try (0..<count).map { _ in try socket() }
        for s in sockets { s.send(Self.clientHello(), toPort: port) }
        for s in sockets {
            guard let verify = s.receive(within: 1), let cookie = Self.cookie(inHelloVerifyRequest: verify) else { continue }
            s.send(Self.clientHello(cookie: cookie, sequence: 1, messageSequence: 1), toPort: port)
        }
        var started = 0
        for s in sockets where s.receive(within: started == 0 ? 1 : 0.05).map(Self.isServerHello) == true { started += 1 }
        return (started, sockets)
    }

    // MARK: CoAP

    /// A confirmable CoAP POST to `/readings` with Content-Format `format` and `payload`.
    package static func coapPost(payload: [UInt8], format: UInt8 = 16, messageID: UInt16) -> [UInt8] {
        var d: [UInt8] = [0x44, 0x02, UInt8(messageID >> 8), UInt8(messageID & 0xFF)]  // CON, TKL 4, POST
        d += (0..<4).map { _ in UInt8.random(in: 0...255) }
        d += [0xB8] + Array("readings".utf8)  // Uri-Path (11)
        d += [0x11, format]  // Content-Format (12)
        d += [0xFF] + payload
        return d
    }
}
