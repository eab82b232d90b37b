import LibCrypto

/// Stateless DTLS cookies (RFC 6347 §4.2.1): an HMAC of the client's transport address under a
/// secret that changes every ``rotation``. A client that returns a valid cookie has shown it
/// receives datagrams at that address, so nothing is kept for a client before it has.
///
/// A cookie is one byte naming the secret's generation, then the first 31 bytes of
/// HMAC-SHA256(secret, address); the current and the previous generation are accepted, so a
/// cookie lives between one and two rotations. 32 bytes in all, as libcoap's own, which every
/// peer here accepts (tinydtls takes at most 32).
struct HelloCookies {
    static let length = 32
    static let rotation: UInt64 = 30_000_000_000

    private struct Secret {
        var generation: UInt8
        var key: SecureBytes
        var madeAt: UInt64
    }

    private var current: Secret
    private var previous: Secret?

    init(now: UInt64) throws {
        current = Secret(generation: 0, key: try SecureBytes.random(count: 32), madeAt: now)
    }

    /// The cookie for `address` (the bytes of its IP and port).
    mutating func cookie(for address: [UInt8], now: UInt64) throws -> [UInt8] {
        try rotateIfDue(now: now)
        return try Self.cookie(for: address, secret: current)
    }

    /// Whether `cookie` was made for `address` by the current or the previous secret.
    mutating func isValid(_ cookie: [UInt8], for address: [UInt8], now: UInt64) -> Bool {
        guard cookie.count == Self.length else { return false }
        try? rotateIfDue(now: now)
        for secret in [current, previous].compactMap({ $0 }) where secret.generation == cookie[0] {
            guard let expected = try? Self.cookie(for: address, secret: secret) else { return false }
            return Self.constantTimeEqual(expected, cookie)
        }
        return false
    }

    private mutating func rotateIfDue(now: UInt64) throws {
        guard now &- current.madeAt >= Self.rotation else { return }
        let next = Secret(generation: current.generation &+ 1, key: try SecureBytes.random(count: 32), madeAt: now)
        // After a long quiet spell the previous secret is older than two rotations: drop it.
        previous = now &- current.madeAt < 2 * Self.rotation ? current : nil
        current = next
    }

    private static func cookie(for address: [UInt8], secret: Secret) throws -> [UInt8] {
        let code = try HMACSHA256.authenticationCode(for: address, key: secret.key)
        return [secret.generation] + code.prefix(length - 1)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
