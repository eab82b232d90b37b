import CoAP
import Foundation
import Logging
import Testing
import TestSupport

/// The server's caps on observers, seen from the wire: a registration over a cap is answered 5.03
/// with Max-Age and is not notified, everyone else keeps observing and being served, and a slot
/// freed by a deregistration can be taken again.
@Suite(.timeLimit(.minutes(1 * TestSupport.timeScale))) struct ObserverLimitTests {
    static func server(_ configure: (inout CoAPServerLimits) -> Void) throws -> CoAPServer {
        var limits = CoAPServerLimits()
        configure(&limits)
        var router = CoAPRouter()
        for path in ["/temperature", "/humidity"] {
            router.get(path, attributes: .init(observable: true)) { _ in CoAPResponse(code: .content, payload: Array("21".utf8)) }
        }
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let server = try CoAPServer(configuration: .init(port: 0, limits: limits), router: router, logger: logger)
        try server.start()
        return server
    }

    /// What a client sees of an answer: its code, whether it carries Observe, and its Max-Age.
    struct Answer: Equatable {
        var code: UInt8
        var observes: Bool
        var maxAge: UInt64?
    }

    static func answer(_ datagram: [UInt8]?) -> Answer? {
        guard let datagram, datagram.count >= 4 else { return nil }
        var at = 4 + Int(datagram[0] & 0x0F), number = 0
        var result = Answer(code: datagram[1], observes: false, maxAge: nil)
        while at < datagram.count, datagram[at] != 0xFF {
            var delta = Int(datagram[at] >> 4), length = Int(datagram[at] & 0x0F)
            at += 1
            if delta == 13 { delta = Int(datagram[at]) + 13; at += 1 }
            if length == 13 { length = Int(datagram[at]) + 13; at += 1 }
            number += delta
            if number == 6 { result.observes = true }
            if number == 14 { result.maxAge = datagram[at..<(at + length)].reduce(0) { $0 << 8 | UInt64($1) } }
            at += length
        }
        return result
    }

    /// GET `path` with Observe `action` (0 registers, 1 deregisters; nil: a plain GET).
    static func get(_ socket: UDPSocket, _ path: String, observe action: UInt64?, id: UInt16, port: UInt16) async throws -> Answer? {
        let options = action.map { [(6, RequestBodyLimitTests.uint($0))] } ?? []
        return answer(try await RequestBodyLimitTests.exchange(
            socket, RequestBodyLimitTests.request(code: 1, messageID: id, path: path, options: options), port: port))
    }

    static let content: UInt8 = 2 << 5 | 5

    @Test func aResourceHoldsNoMoreObserversThanItsCap() async throws {
        let server = try Self.server { $0.maxObserversPerResource = 3 }
        defer { server.shutdown() }
        let port = try #require(server.port)
        let clients = try (0..<4).map { _ in try UDPSocket() }
        for (i, client) in clients.prefix(3).enumerated() {
            #expect(try await Self.get(client, "/temperature", observe: 0, id: UInt16(i), port: port) == Answer(code: Self.content, observes: true))
        }
        // The fourth is told to come back later, and is still served otherwise.
        let declined = try await Self.get(clients[3], "/temperature", observe: 0, id: 10, port: port)
        #expect(declined == Answer(code: RequestBodyLimitTests.unavailable, observes: false, maxAge: 60))
        #expect(try await Self.get(clients[3], "/temperature", observe: nil, id: 11, port: port)?.code == Self.content)
        #expect(try await Self.get(clients[3], "/humidity", observe: 0, id: 12, port: port) == Answer(code: Self.content, observes: true))
        #expect(server.statistics.observersDeclined == 1)
        #expect(server.statistics.observers == 4)

        // A change reaches the three observers of /temperature and not the one declined.
        server.notifyObservers(of: "/temperature")
        let notified = try await TestSupport.offThePool { clients.map { $0.receive(within: 2).flatMap(Self.answer) } }
        for n in notified.prefix(3) { #expect(n?.observes == true && n?.code == Self.content, "\(String(describing: n))") }
        #expect(notified[3] == nil, "the declined client was notified: \(String(describing: notified[3]))")

        // One deregisters: its slot can be taken.
        #expect(try await Self.get(clients[0], "/temperature", observe: 1, id: 20, port: port)?.observes == false)
        #expect(try await Self.get(clients[3], "/temperature", observe: 0, id: 21, port: port) == Answer(code: Self.content, observes: true))
        #expect(server.statistics.observers == 4)
    }

    @Test func oneAddressHoldsNoMoreObserversThanItsShare() async throws {
        let server = try Self.server { $0.maxObserversPerAddress = 2 }
        defer { server.shutdown() }
        let port = try #require(server.port)
        let greedy = try (0..<3).map { _ in try UDPSocket(bindingTo: "127.0.0.1") }
        #expect(try await Self.get(greedy[0], "/temperature", observe: 0, id: 1, port: port)?.observes == true)
        #expect(try await Self.get(greedy[1], "/humidity", observe: 0, id: 2, port: port)?.observes == true)
        #expect(try await Self.get(greedy[2], "/temperature", observe: 0, id: 3, port: port)?.code == RequestBodyLimitTests.unavailable)
        // Another address is served as if nothing happened.
        let other = try UDPSocket(bindingTo: "127.0.0.2")
        #expect(try await Self.get(other, "/temperature", observe: 0, id: 4, port: port) == Answer(code: Self.content, observes: true))
        #expect(server.statistics.observersDeclined == 1)
    }

    @Test func theTotalOfObserversIsCapped() async throws {
        let server = try Self.server { $0.maxObservers = 5 }
        defer { server.shutdown() }
        let port = try #require(server.port)
        var registered = 0, declined = 0
        for i in 0..<12 {
            let client = try UDPSocket()
            let answer = try await Self.get(client, i.isMultiple(of: 2) ? "/temperature" : "/humidity", observe: 0, id: UInt16(i), port: port)
            if answer?.observes == true { registered += 1 } else if answer?.code == RequestBodyLimitTests.unavailable { declined += 1 }
        }
        #expect(registered == 5 && declined == 7)
        #expect(server.statistics.observers == 5 && server.statistics.observersDeclined == 7)
    }
}
