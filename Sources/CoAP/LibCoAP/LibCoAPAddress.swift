internal import CLibCoAP
#if canImport(Glibc)
import Glibc
#endif

/// A resolved socket address (IPv4 or IPv6), convertible to libcoap's `coap_address_t`.
struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IP literal.
    let host: String
    let port: UInt16
    let isIPv6: Bool

    /// Resolves `host` (an IP literal or a name such as `localhost`) for UDP.
    static func resolve(host: String, port: UInt16) throws(CoAPError) -> SocketAddress {
        let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(literal, nil, &hints, &result)
        guard rc == 0, let first = result else {
            throw CoAPError(.addressResolution, "cannot resolve host '\(host)': \(String(cString: gai_strerror(rc)))", underlying: rc)
        }
        defer { freeaddrinfo(result) }
        // Prefer IPv4 when a name resolves to both (libcoap peers default to it).
        var chosen: UnsafeMutablePointer<addrinfo>? = first
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let c = cursor {
            if c.pointee.ai_family == AF_INET { chosen = c; break }
            cursor = c.pointee.ai_next
        }
        guard let ai = chosen, let sa = ai.pointee.ai_addr else {
            throw CoAPError(.addressResolution, "cannot resolve host '\(host)'")
        }
        return SocketAddress(sockaddr: sa, port: port)
    }

    private init(sockaddr sa: UnsafePointer<sockaddr>, port: UInt16) {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if Int32(sa.pointee.sa_family) == AF_INET6 {
            var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            isIPv6 = true
        } else {
            var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            isIPv6 = false
        }
        host = Self.text(buffer)
        self.port = port
    }

    /// Reads a libcoap address.
    init(_ address: UnsafePointer<coap_address_t>) {
        let family = Int32(address.pointee.addr.sa.sa_family)
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if family == AF_INET6 {
            var a = address.pointee.addr.sin6.sin6_addr
            inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            port = UInt16(bigEndian: address.pointee.addr.sin6.sin6_port)
            isIPv6 = true
        } else {
            var a = address.pointee.addr.sin.sin_addr
            inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            port = UInt16(bigEndian: address.pointee.addr.sin.sin_port)
            isIPv6 = false
        }
        host = Self.text(buffer)
    }

    /// The libcoap form of the address.
    var coapAddress: coap_address_t {
        var address = coap_address_t()
        coap_address_init(&address)
        if isIPv6 {
            address.addr.sin6.sin6_family = sa_family_t(AF_INET6)
            address.addr.sin6.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &address.addr.sin6.sin6_addr)
            address.size = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            address.addr.sin.sin_family = sa_family_t(AF_INET)
            address.addr.sin.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, host, &address.addr.sin.sin_addr)
            address.size = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        return address
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var peer: CoAPPeerAddress { CoAPPeerAddress(host: host, port: port) }

    var description: String { peer.description }
}

/// libcoap protocol values, for code outside this folder that must name one.
enum COAPProto {
    static var udp: coap_proto_t { COAP_PROTO_UDP }
    static var dtls: coap_proto_t { COAP_PROTO_DTLS }
}
