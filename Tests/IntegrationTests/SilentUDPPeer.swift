import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A bound UDP socket that never answers: requests to it can only time out.
final class SilentUDPPeer: @unchecked Sendable {
    // @unchecked: the descriptor is written once in init and closed once.
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard rc == 0 else { Glibc.close(fd); throw TestFailure("bind failed") }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: addr.sin_port)
    }

    func close() { _ = Glibc.close(fd) }
}
