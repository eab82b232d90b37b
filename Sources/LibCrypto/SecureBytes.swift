internal import CLibCrypto

/// Immutable storage for secret bytes (keys, seeds, derived material).
///
/// The bytes live in their own heap allocation, which is wiped with `OPENSSL_cleanse` when the last
/// copy of the value goes away. ``description`` and ``debugDescription`` never show the contents,
/// only the length. Equality runs in constant time.
///
/// Bytes passed to ``init(_:)`` are copied; wiping the source is the caller's business.
public struct SecureBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let storage: Storage

    /// Copies `bytes` into zeroizing storage.
    public init(_ bytes: some Collection<UInt8>) {
        storage = Storage(count: bytes.count)
        storage.buffer.copyBytes(from: bytes)
    }

    /// Creates `count` bytes and lets `body` fill them in place, so secret output (from a KDF,
    /// a random generator) never passes through an ordinary array. Bytes `body` leaves alone are zero.
    public init(
        count: Int,
        initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows {
        precondition(count >= 0, "SecureBytes count must not be negative")
        storage = Storage(count: count)
        try body(storage.buffer)
    }

    /// Returns `count` bytes from OpenSSL's cryptographically secure generator.
    public static func random(count: Int) throws -> SecureBytes {
        try SecureBytes(count: count) { buffer in
            try SecureRandom.fill(buffer)
        }
    }

    /// The number of bytes.
    public var count: Int { storage.buffer.count }

    /// Whether there are no bytes.
    public var isEmpty: Bool { storage.buffer.isEmpty }

    /// Lends the bytes to `body`. The pointer is valid only inside the closure.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(storage.buffer))
        }
    }

    /// Compares two values in time that depends only on their lengths.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0
            }
        }
    }

    /// Overwrites `buffer` with zeros in a way the optimizer cannot remove (`OPENSSL_cleanse`), for
    /// ordinary buffers that briefly held secrets.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        OPENSSL_cleanse(base, buffer.count)
    }

    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }

    /// Owns the allocation and wipes it on deinit.
    // @unchecked Sendable: the buffer is written only during SecureBytes.init, before the value is shared.
    private final class Storage: @unchecked Sendable {
        let buffer: UnsafeMutableRawBufferPointer

        init(count: Int) {
            // Allocate at least one byte so baseAddress is never nil.
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            buffer = UnsafeMutableRawBufferPointer(rebasing: raw[0..<count])
            base = raw
        }

        private let base: UnsafeMutableRawBufferPointer

        deinit {
            OPENSSL_cleanse(base.baseAddress, base.count)
            base.deallocate()
        }
    }
}
