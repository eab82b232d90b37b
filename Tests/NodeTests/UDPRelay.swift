import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A UDP relay on 127.0.0.1 between one client and one server that records every datagram it
/// forwards: how the tests measure bytes on the wire, DTLS records included.
final class UDPRelay: Sendable {
    struct Datagram: Sendable {
        var fromClient: Bool
        var bytes: [UInt8]
    }

    /// The port clients send to.
    let port: UInt16
    private let front: Int32
    private let back: Int32
    private let log = TestLocked<[Datagram]>([])
    private let stopping = TestLocked(false)

    /// Relays to `127.0.0.1:targetPort`.
    init(targetPort: UInt16) throws {
        let front = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let back = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.front = front
        self.back = back
        guard front >= 0, back >= 0 else { throw TestFailure("socket() failed") }
        var any = Self.loopback(port: 0)
        var target = Self.loopback(port: targetPort)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &any, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(front, $0, size) } }) == 0,
              withUnsafePointer(to: &target, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(back, $0, size) } }) == 0
        else { throw TestFailure("cannot set up the relay sockets") }
        var bound = sockaddr_in()
        var length = size
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(front, $0, &length) } }
        port = UInt16(bigEndian: bound.sin_port)
        let thread = Thread { [self] in self.relay() }
        thread.start()
    }

    /// Forwards to another server from now on, as if the first had vanished without a word.
    func retarget(to targetPort: UInt16) {
        var target = Self.loopback(port: targetPort)
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(back, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// The datagrams forwarded so far, in order.
    var datagrams: [Datagram] { log.get() }

    /// Stops relaying; the relay's thread closes the sockets within 50 ms (nothing waits for it).
    func stop() {
        stopping.update { $0 = true }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func relay() {
        var client = sockaddr_in()
        var haveClient = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var fds = [pollfd(fd: front, events: Int16(POLLIN), revents: 0), pollfd(fd: back, events: Int16(POLLIN), revents: 0)]
        while !stopping.get() {
            guard poll(&fds, 2, 50) > 0 else { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &client) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(front, raw.baseAddress, raw.count, 0, $0, &length) }
                    }
                }
                if n > 0 {
                    haveClient = true
                    log.update { $0.append(Datagram(fromClient: true, bytes: Array(buffer[0..<n]))) }
                    _ = buffer.withUnsafeBytes { send(back, $0.baseAddress, n, 0) }
                }
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(back, $0.baseAddress, $0.count, 0) }
                if n > 0 && haveClient {
                    log.update { $0.append(Datagram(fromClient: false, bytes: Array(buffer[0..<n]))) }
                    let size = socklen_t(MemoryLayout<sockaddr_in>.size)
                    _ = buffer.withUnsafeBytes { raw in
                        withUnsafePointer(to: &client) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(front, raw.baseAddress, n, 0, $0, size) }
                        }
                    }
                }
            }
        }
        close(front)
        close(back)
    }
}
