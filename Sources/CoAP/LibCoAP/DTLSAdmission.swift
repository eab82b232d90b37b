internal import CLibCoAP
import LibCrypto
import Platform
#if canImport(Glibc)
import Glibc
#endif

/// The DTLS endpoint's front door: it looks at each datagram waiting on libcoap's DTLS socket
/// before libcoap reads it, and lets libcoap have only what comes from a peer it already has a
/// session with, or a ClientHello carrying a valid cookie within the caps of ``DTLSServerLimits``.
///
/// libcoap 4.3.1 makes a session for every ClientHello from a new address before the cookie
/// exchange, and stops accepting handshakes once 100 such sessions exist, freeing one per new
/// datagram after 30 s: a few spoofed ClientHellos a second keep the port closed to new devices.
/// Here a first ClientHello is answered with a stateless cookie (RFC 6347 §4.2.1) and dropped, so
/// nothing is kept for a peer until it has shown it receives at its address. libcoap's own cookie
/// callbacks are replaced by ours (``installCookieCallbacks(on:)``), so the cookie the client
/// returns is the one OpenSSL checks.
///
/// Loop thread only, except ``counters`` (locked).
final class DTLSAdmission {
    let limits: DTLSServerLimits
    /// libcoap's DTLS socket.
    let socket: Int32
    /// What the front door has seen, and what peers hold now.
    let counters: DTLSServerCounters
    /// The peer whose ClientHello was let through in the batch being handed to libcoap: libcoap's
    /// cookie callbacks (ours) check the cookie against it.
    var admitting: PeerKey?

    private var cookies: HelloCookies
    private var cookieBucket: TokenBucket
    /// Transport addresses libcoap has a DTLS session for, and how many (one, but for a moment).
    private var peers: [PeerKey: Int] = [:]
    private var hosts: [HostKey: HostState] = [:]
    private var handshakes = 0
    private var sessions = 0
    private var buffer = [UInt8](repeating: 0, count: DTLSClientHello.prefixLength)

    /// At most this many datagrams are dropped per look, so jobs and timers are not kept waiting.
    static let maxDatagramsPerLook = 64

    private struct HostState {
        var sessions = 0
        var handshakes = 0
        /// When its recent handshakes failed (within the failure window; at most the threshold).
        var failures: [UInt64] = []
        var throttledUntil: UInt64 = 0
        var throttle: TokenBucket?

        var isIdle: Bool { sessions == 0 && handshakes == 0 }
    }

    init(limits: DTLSServerLimits, counters: DTLSServerCounters, socket: Int32, now: UInt64) throws(CoAPError) {
        self.limits = limits
        self.counters = counters
        self.socket = socket
        do { cookies = try HelloCookies(now: now) } catch {
            throw CoAPError(.invalidConfiguration, "no random bytes for DTLS cookies: \(error)")
        }
        cookieBucket = TokenBucket(rate: Double(limits.maxCookiesPerSecond), burst: Double(limits.maxCookiesPerSecond), now: now)
    }

    // MARK: The front door

    /// Looks at the datagrams waiting on the DTLS socket, oldest first, dropping (and answering,
    /// when they ask for a cookie) those libcoap must not see. Returns true when the one now at
    /// the head is for libcoap, which reads exactly one datagram per readiness event.
    func look(now: UInt64) -> Bool {
        admitting = nil
        for _ in 0..<Self.maxDatagramsPerLook {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = buffer.withUnsafeMutableBytes { raw in
                withUnsafeMutablePointer(to: &storage) { address in
                    address.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(socket, raw.baseAddress, raw.count, Int32(MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC), $0, &length)
                    }
                }
            }
            if received < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return false }
                continue  // EINTR, or a pending ICMP error, which reading consumes
            }
            let key = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerKey($0) } }
            guard let key else {
                discardHead()
                continue
            }
            if peers[key] != nil { return true }
            if admits(key, datagramLength: received, address: &storage, addressLength: length, now: now) {
                admitting = key
                return true
            }
            discardHead()
        }
        return false
    }

    /// Whether a datagram from `key`, which has no session, may start a handshake; answers a
    /// ClientHello without a valid cookie with one.
    private func admits(_ key: PeerKey, datagramLength: Int, address: inout sockaddr_storage, addressLength: socklen_t, now: UInt64) -> Bool {
        let hello = buffer.withUnsafeBytes { raw in
            DTLSClientHello(prefix: UnsafeRawBufferPointer(rebasing: raw.prefix(min(datagramLength, raw.count))), datagramLength: datagramLength)
        }
        guard let hello else {
            counters.update { $0.strayDatagrams += 1 }
            return false
        }
        let addressBytes = key.bytes
        guard !hello.cookie.isEmpty, cookies.isValid(hello.cookie, for: addressBytes, now: now) else {
            challenge(hello, for: addressBytes, address: &address, addressLength: addressLength, now: now)
            return false
        }
        if handshakes >= limits.maxHandshakes || sessions >= limits.maxSessions {
            counters.update { $0.handshakesRefusedAtCapacity += 1 }
            return false
        }
        if var host = hosts[key.host] {
            if host.handshakes >= limits.maxHandshakesPerAddress || host.sessions >= limits.maxSessionsPerAddress {
                counters.update { $0.handshakesRefusedAtCapacity += 1 }
                return false
            }
            if host.throttledUntil > now {
                let admitted = host.throttle?.take(now: now) ?? false
                hosts[key.host] = host
                guard admitted else {
                    counters.update { $0.handshakesThrottled += 1 }
                    return false
                }
            }
        }
        counters.update { $0.handshakesAdmitted += 1 }
        return true
    }

    private func challenge(_ hello: DTLSClientHello, for addressBytes: [UInt8], address: inout sockaddr_storage, addressLength: socklen_t, now: UInt64) {
        guard cookieBucket.take(now: now), let cookie = try? cookies.cookie(for: addressBytes, now: now) else {
            counters.update { $0.cookiesNotSent += 1 }
            return
        }
        let request = DTLSClientHello.helloVerifyRequest(answering: hello, cookie: cookie)
        _ = request.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) { a in
                a.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, addressLength)
                }
            }
        }
        counters.update { $0.cookiesSent += 1 }
    }

    /// Drops the datagram at the head of the socket's queue (a UDP read of one byte takes it all).
    private func discardHead() {
        var byte: UInt8 = 0
        _ = recv(socket, &byte, 1, Int32(MSG_DONTWAIT))
    }

    // MARK: libcoap's cookie callbacks

    /// The cookie OpenSSL sends when it answers a ClientHello itself (it should not need to: the
    /// front door has checked the cookie already). For no admitted peer, a cookie no one has.
    func cookieForAdmittedPeer(now: UInt64) -> [UInt8] {
        if let admitting, let cookie = try? cookies.cookie(for: admitting.bytes, now: now) { return cookie }
        return (try? SecureRandom.bytes(count: HelloCookies.length)) ?? [UInt8](repeating: 0, count: HelloCookies.length)
    }

    /// Whether `cookie` is valid for the peer just admitted (OpenSSL asks twice: when libcoap
    /// listens, and when the new session accepts).
    func isValidCookieForAdmittedPeer(_ cookie: [UInt8], now: UInt64) -> Bool {
        guard let admitting else { return false }
        return cookies.isValid(cookie, for: admitting.bytes, now: now)
    }

    // MARK: What peers hold

    /// A DTLS session was made for `key` (libcoap's `COAP_EVENT_SERVER_SESSION_NEW`): it is
    /// handshaking.
    func sessionOpened(_ key: PeerKey) {
        peers[key, default: 0] += 1
        var host = hosts[key.host] ?? HostState()
        host.sessions += 1
        host.handshakes += 1
        hosts[key.host] = host
        sessions += 1
        handshakes += 1
        publishCounts()
    }

    /// The handshake of a session made for `key` is over; `failed` counts against its address.
    /// Returns true when this failure started throttling the address.
    @discardableResult
    func handshakeEnded(_ key: PeerKey, failed: Bool, now: UInt64) -> Bool {
        var started = false
        var host = hosts[key.host] ?? HostState()
        host.handshakes = max(0, host.handshakes - 1)
        handshakes = max(0, handshakes - 1)
        if failed {
            let window = limits.failureWindow.nanoseconds
            host.failures.removeAll { now &- $0 >= window }
            host.failures.append(now)
            if host.failures.count > limits.failureThreshold { host.failures.removeFirst(host.failures.count - limits.failureThreshold) }
            if host.failures.count >= limits.failureThreshold, host.throttledUntil <= now {
                host.throttledUntil = now &+ limits.throttleDuration.nanoseconds
                host.throttle = TokenBucket(rate: limits.throttledHandshakesPerSecond, burst: 1, now: now)
                started = true
                counters.update { $0.throttledAddresses += 1 }
            }
        }
        hosts[key.host] = host
        publishCounts()
        return started
    }

    /// libcoap freed the session made for `key`.
    func sessionClosed(_ key: PeerKey) {
        if let count = peers[key] { peers[key] = count > 1 ? count - 1 : nil }
        sessions = max(0, sessions - 1)
        if var host = hosts[key.host] {
            host.sessions = max(0, host.sessions - 1)
            hosts[key.host] = host
        }
        publishCounts()
    }

    /// Forgets addresses that hold nothing, failed nothing lately and are not throttled, and
    /// counts the throttled ones. Called now and then from a loop timer.
    func prune(now: UInt64) {
        let window = limits.failureWindow.nanoseconds
        hosts = hosts.filter { _, host in
            !host.isIdle || host.throttledUntil > now || host.failures.contains { now &- $0 < window }
        }
        let throttled = hosts.values.reduce(0) { $0 + ($1.throttledUntil > now ? 1 : 0) }
        counters.update { $0.throttledAddresses = throttled }
    }

    private func publishCounts() {
        counters.update {
            $0.handshakesInProgress = handshakes
            $0.sessions = sessions
        }
    }
}

extension DTLSAdmission {
    /// Front doors by the SSL_CTX whose cookie callbacks they answer (bit patterns: the callbacks
    /// find theirs from the SSL they are given).
    private static let bySSLContext = Locked<[UInt: UInt]>([:])

    /// Puts the front door's cookie callbacks on libcoap's DTLS SSL_CTX, in place of libcoap's.
    func installCookieCallbacks(on sslContext: OpaquePointer) {
        let me = UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
        Self.bySSLContext.withLock { $0[UInt(bitPattern: sslContext)] = me }
        SSL_CTX_set_cookie_generate_cb(sslContext, dtlsCookieGenerate)
        SSL_CTX_set_cookie_verify_cb(sslContext, dtlsCookieVerify)
    }

    /// Forgets the SSL_CTX (before libcoap frees it).
    func removeCookieCallbacks(from sslContext: OpaquePointer) {
        _ = Self.bySSLContext.withLock { $0.removeValue(forKey: UInt(bitPattern: sslContext)) }
    }

    /// The front door whose callbacks `ssl`'s context carries.
    static func owning(_ ssl: OpaquePointer?) -> DTLSAdmission? {
        guard let ssl, let context = SSL_get_SSL_CTX(ssl),
              let raw = bySSLContext.withLock({ $0[UInt(bitPattern: context)] }),
              let pointer = UnsafeRawPointer(bitPattern: raw)
        else { return nil }
        return Unmanaged<DTLSAdmission>.fromOpaque(pointer).takeUnretainedValue()
    }
}
