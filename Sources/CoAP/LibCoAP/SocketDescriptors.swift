internal import CLibCoAP
#if canImport(Glibc)
import Glibc
#endif

/// This process's open descriptors, read from `/proc/self/fd`: how the server finds the socket
/// libcoap opened for an endpoint (4.3.1 has no call that returns it).
enum SocketDescriptors {
    /// Every open descriptor (but the one this reads the list through).
    static func open() -> Set<Int32> {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var found: Set<Int32> = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { found.insert(fd) }
        }
        return found
    }

    /// The UDP sockets among `descriptors` bound to `port`.
    static func udp(boundTo port: UInt16, among descriptors: Set<Int32>) -> [Int32] {
        descriptors.filter { fd in
            var type: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_DGRAM.rawValue) else { return false }
            var storage = sockaddr_storage()
            var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
            }
            guard named == 0 else { return false }
            let bound: UInt16? = withUnsafePointer(to: &storage) { raw in
                switch Int32(raw.pointee.ss_family) {
                case AF_INET: raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                case AF_INET6: raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                default: nil
                }
            }
            return bound == port
        }
    }
}
