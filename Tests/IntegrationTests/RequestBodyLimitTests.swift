import CoAP
import Foundation
import Logging
import Testing
import TestSupport

/// The server's limits on request bodies, seen from the wire: a block-wise transfer is refused as
/// soon as it (or the size it announces) passes the limit, and one address cannot hold more than
/// its share of transfers.
@Suite(.timeLimit(.minutes(1 * TestSupport.timeScale))) struct RequestBodyLimitTests {
    static func server(_ configure: (inout CoAPServerLimits) -> Void) throws -> CoAPServer {
        var limits = CoAPServerLimits()
        configure(&limits)
        var router = CoAPRouter()
        router.post("/upload") { request in CoAPResponse(code: .changed, payload: Array("\(request.payload.count)".utf8)) }
        router.get("/large") { _ in CoAPResponse(code: .content, payload: [UInt8](repeating: 0x61, count: 100)) }
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = try CoAPServer(configuration: .init(port: 0, limits: limits), router: router, logger: logger)
        try server.start()
        return server
    }

    /// A confirmable request with the given options (number, value), in ascending order.
    static func request(code: UInt8, messageID: UInt16, path: String, options: [(Int, [UInt8])], payload: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = [0x42, code, UInt8(messageID >> 8), UInt8(messageID & 0xFF), 0xAB, 0xCD]  // CON, TKL 2
        var all = [(Int, [UInt8])]()
        for segment in path.split(separator: "/") { all.append((11, Array(segment.utf8))) }
        all += options
        var last = 0
        for (number, value) in all.sorted(by: { $0.0 < $1.0 }) {
            func nibble(_ n: Int) -> (UInt8, [UInt8]) {
                n < 13 ? (UInt8(n), []) : n < 269 ? (13, [UInt8(n - 13)]) : (14, [UInt8((n - 269) >> 8), UInt8((n - 269) & 0xFF)])
            }
            let (d, dx) = nibble(number - last), (l, lx) = nibble(value.count)
            out += [d << 4 | l] + dx + lx + value
            last = number
        }
        if !payload.isEmpty { out += [0xFF] + payload }
        return out
    }

    static func uint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var v = value
        while v > 0 { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
        return bytes
    }

    /// Block1 option value: number, more, size exponent.
    static func block(_ number: Int, more: Bool, szx: Int = 0) -> [UInt8] { uint(UInt64(number << 4 | (more ? 8 : 0) | szx)) }

    /// The response code (class, detail) and the Size1 option's value, if any.
    static func parse(_ datagram: [UInt8]) -> (code: UInt8, size1: UInt64?) {
        guard datagram.count >= 4 else { return (0, nil) }
        var at = 4 + Int(datagram[0] & 0x0F), number = 0, size1: UInt64?
        while at < datagram.count, datagram[at] != 0xFF {
            var delta = Int(datagram[at] >> 4), length = Int(datagram[at] & 0x0F)
            at += 1
            if delta == 13 { delta = Int(datagram[at]) + 13; at += 1 } else if delta == 14 { delta = Int(datagram[at]) << 8 + Int(datagram[at + 1]) + 269; at += 2 }
            if length == 13 { length = Int(datagram[at]) + 13; at += 1 } else if length == 14 { length = Int(datagram[at]) << 8 + Int(datagram[at + 1]) + 269; at += 2 }
            number += delta
            if number == 60 { size1 = datagram[at..<(at + length)].reduce(0) { $0 << 8 | UInt64($1) } }
            at += length
        }
        return (datagram[1], size1)
    }

    /// Sends `datagram` and waits (off the cooperative pool) for the answer.
    static func exchange(_ socket: UDPSocket, _ datagram: [UInt8], port: UInt16) async throws -> [UInt8]? {
        try await TestSupport.offThePool {
            socket.send(datagram, toPort: port)
            return socket.receive(within: 1)
        }
    }

    static let continueCode: UInt8 = 2 << 5 | 31, tooLarge: UInt8 = 4 << 5 | 13, incomplete: UInt8 = 4 << 5 | 8
    static let unavailable: UInt8 = 5 << 5 | 3, changed: UInt8 = 2 << 5 | 4, badOption: UInt8 = 4 << 5 | 2

    @Test func aBlockwiseBodyIsRefusedAsSoonAsItPassesTheLimit() async throws {
        let server = try Self.server { $0.maxRequestBodyBytes = 4096 }
        defer { server.shutdown() }
        let socket = try UDPSocket()
        defer { socket.close() }
        let chunk = [UInt8](repeating: 0x42, count: 16)
        var refusedAt: Int?
        // A 30,000-block transfer in 16-byte blocks: the limit is passed at block 256.
        for n in 0..<30_000 {
            let datagram = Self.request(code: 2, messageID: UInt16(n), path: "/upload", options: [(27, Self.block(n, more: true))], payload: chunk)
            guard let answer = try await Self.exchange(socket, datagram, port: server.port!) else { Issue.record("no answer to block \(n)"); return }
            let (code, size1) = Self.parse(answer)
            if code == Self.continueCode { continue }
            #expect(code == Self.tooLarge && size1 == 4096, "block \(n): code \(code >> 5).\(code & 0x1F), Size1 \(size1.map(String.init) ?? "-")")
            refusedAt = n
            break
        }
        #expect(refusedAt == 256, "refused at the block that passes 4,096 bytes, not at the end")
        // What follows gets nothing back but an error: the transfer is gone.
        let after = Self.request(code: 2, messageID: 40_000, path: "/upload", options: [(27, Self.block(257, more: true))], payload: chunk)
        #expect(try await Self.exchange(socket, after, port: server.port!).map { Self.parse($0).code } == Self.incomplete)
    }

    @Test func anAnnouncedSizeOverTheLimitIsRefusedAtTheFirstBlock() async throws {
        let server = try Self.server { $0.maxRequestBodyBytes = 4096 }
        defer { server.shutdown() }
        let socket = try UDPSocket()
        defer { socket.close() }
        // Size1 is at most 4 bytes (RFC 7959 §4): 2^32 - 1 is the largest a client can announce.
        for (i, size) in [UInt64(1) << 28, UInt64(UInt32.max), 5000].enumerated() {
            let datagram = Self.request(code: 2, messageID: UInt16(i), path: "/upload",
                                        options: [(27, Self.block(0, more: true)), (60, Self.uint(size))],
                                        payload: [UInt8](repeating: 1, count: 16))
            let answer = try #require(try await Self.exchange(socket, datagram, port: server.port!))
            let parsed = Self.parse(answer)
            #expect(parsed.code == Self.tooLarge && parsed.size1 == 4096, "Size1 \(size): \(parsed.code >> 5).\(parsed.code & 0x1F)")
        }
    }

    @Test func oneAddressHoldsNoMoreTransfersThanItsShare() async throws {
        let server = try Self.server { $0.maxBlockTransfersPerAddress = 2 }
        defer { server.shutdown() }
        let socket = try UDPSocket()
        defer { socket.close() }
        let chunk = [UInt8](repeating: 0x42, count: 16)
        let port = server.port!
        func first(tag: UInt8, id: UInt16) async throws -> UInt8? {
            let datagram = Self.request(code: 2, messageID: id, path: "/upload", options: [(27, Self.block(0, more: true)), (292, [tag])], payload: chunk)
            return try await Self.exchange(socket, datagram, port: port).map { Self.parse($0).code }
        }
        #expect(try await first(tag: 1, id: 1) == Self.continueCode)
        #expect(try await first(tag: 2, id: 2) == Self.continueCode)
        #expect(try await first(tag: 3, id: 3) == Self.unavailable, "a third transfer from the same address waits")
        // Finishing one makes room.
        let last = Self.request(code: 2, messageID: 4, path: "/upload", options: [(27, Self.block(1, more: false)), (292, [1])], payload: [9])
        let done = try #require(try await Self.exchange(socket, last, port: port))
        #expect(Self.parse(done).code == Self.changed)
        #expect(String(decoding: done.suffix(2), as: UTF8.self) == "17", "the body arrived whole: 16 + 1 bytes")
        #expect(try await first(tag: 3, id: 5) == Self.continueCode)
    }

    @Test func aClientSendingTooMuchGetsTooLarge() async throws {
        let server = try Self.server { $0.maxRequestBodyBytes = 4096 }
        defer { server.shutdown() }
        let client = try ClientServerLoopbackTests.client()
        defer { client.shutdown() }
        let answer = try await client.post("coap://127.0.0.1:\(server.port!)/upload", payload: [UInt8](repeating: 7, count: 8192))
        #expect(answer.code == .requestEntityTooLarge, "\(answer.code) \(answer.text)")
        let fits = try await client.post("coap://127.0.0.1:\(server.port!)/upload", payload: [UInt8](repeating: 7, count: 4096))
        #expect(fits.code == .changed && fits.text == "4096")
    }

    @Test func aBlockPastTheEndIsABadOption() async throws {
        let server = try Self.server { _ in }
        defer { server.shutdown() }
        let socket = try UDPSocket()
        defer { socket.close() }
        let get = Self.request(code: 1, messageID: 1, path: "/large", options: [(23, Self.block(1000, more: false))])
        let answer = try #require(try await Self.exchange(socket, get, port: server.port!))
        #expect(Self.parse(answer).code == Self.badOption)
    }
}
