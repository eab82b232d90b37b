import FuzzSupport
import LibCrypto
import Sealing

/// The fixed test keys: one device secret of 32 bytes 0x00...0x1f (a test value, never used
/// anywhere else), one kid per algorithm. Seeds are sealed with these, so the fuzzer starts from
/// messages that open.
enum TestKeys {
    static let secret: DeviceSecret = {
        do { return try DeviceSecret(bytes: SecureBytes((0..<32).map { UInt8($0) })) } catch { unexpected(error, "test secret") }
    }()

    static let keys: [SealingKey] = {
        do {
            return try [
                secret.deriveKey(kid: [0x01], algorithm: .aesCCM16_64_128),
                secret.deriveKey(kid: [0x02], algorithm: .a128GCM),
                secret.deriveKey(kid: [0x03, 0x03], algorithm: .a256GCM),
            ]
        } catch { unexpected(error, "test keys") }
    }()

    /// A ring holding every test key, for the test device. Opening never records, so it does not
    /// change between inputs.
    static let ring: KeyRing = {
        let ring = KeyRing()
        do { for key in keys { try ring.add(key, deviceID: deviceID) } } catch { unexpected(error, "test key ring") }
        return ring
    }()

    struct UnknownKid: Error {}

    static func key(forKid kid: [UInt8]) throws -> SealingKey {
        guard let key = keys.first(where: { $0.kid == kid }) else { throw UnknownKid() }
        return key
    }
}
