internal import CLibCoAP
#if canImport(Glibc)
import Glibc
#endif

/// A peer's transport address (IP and UDP port) as a compact hashable value, read straight from a
/// `sockaddr` without formatting it: the DTLS front door looks one up for every datagram from a
/// peer without a session.
struct PeerKey: Hashable {
    /// The IP address: an IPv4 address in the low 32 bits of `low`, an IPv6 address in both.
    var high: UInt64
    var low: UInt64
    var port: UInt16
    var isIPv6: Bool

    /// The IP address alone: what per-address caps and throttles count by.
    var host: HostKey { HostKey(high: high, low: low, isIPv6: isIPv6) }

    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            high = 0
            low = UInt64(UInt32(bigEndian: v4.sin_addr.s_addr))
            port = UInt16(bigEndian: v4.sin_port)
            isIPv6 = false
        case AF_INET6:
            let v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            let words = withUnsafeBytes(of: v6.sin6_addr) { raw in
                (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
            high = UInt64(bigEndian: words.0)
            low = UInt64(bigEndian: words.1)
            port = UInt16(bigEndian: v6.sin6_port)
            isIPv6 = true
        default:
            return nil
        }
    }

    init?(_ address: UnsafePointer<coap_address_t>) {
        let key = withUnsafePointer(to: address.pointee.addr) { raw in
            raw.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerKey($0) }
        }
        guard let key else { return nil }
        self = key
    }

    /// The bytes a cookie authenticates: family, IP, port.
    var bytes: [UInt8] {
        var out: [UInt8] = [isIPv6 ? 6 : 4]
        withUnsafeBytes(of: high.bigEndian) { out += $0 }
        withUnsafeBytes(of: low.bigEndian) { out += $0 }
        withUnsafeBytes(of: port.bigEndian) { out += $0 }
        return out
    }
}

/// An IP address without its port.
struct HostKey: Hashable {
    var high: UInt64
    var low: UInt64
    var isIPv6: Bool
}
