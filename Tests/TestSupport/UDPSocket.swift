import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket for hand-made datagrams to a server on 127.0.0.1: send bytes, collect what comes
/// back. Bound to an address of its own when asked (an attacker on 127.0.0.2, told apart from the
/// devices on 127.0.0.1), else to an ephemeral port by the first send. Closed by ``close()`` or
/// when the value goes away.
// @unchecked Sendable: `fd` is set once in init and closed once (`closed` is locked); one test thread uses it.
package final class UDPSocket: @unchecked Sendable {
    package let fd: Int32
    private let closed = TestLocked(false)

    package init(bindingTo address: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        guard let address else { return }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(address)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(fd)
            throw TestFailure("cannot bind \(address)")
        }
    }

    deinit { close() }

    /// Sends `bytes` to 127.0.0.1:`port`.
    package func send(_ bytes: [UInt8], toPort port: UInt16) {
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        to.sin_port = port.bigEndian
        _ = withUnsafePointer(to: &to) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// The next datagram within `seconds`, or nil. Blocks: call it off the cooperative pool.
    package func receive(within seconds: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(seconds * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer.prefix(n)) : nil
    }

    /// Every datagram that arrives within `seconds`. Blocks: call it off the cooperative pool.
    package func receiveAll(for seconds: Double) -> [[UInt8]] {
        var received: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left * 1000) + 1) == 1 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received.append(Array(buffer.prefix(n))) }
        }
        return received
    }

    /// Closes the socket (idempotent).
    package func close() {
        let first = closed.update { wasClosed -> Bool in
            defer { wasClosed = true }
            return !wasClosed
        }
        if first { _ = Glibc.close(fd) }
    }
}
