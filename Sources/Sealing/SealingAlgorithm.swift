public import LibCrypto

/// A COSE content-encryption algorithm allowed in sealed payloads: 10 (the default), 1 or 3.
public struct SealingAlgorithm: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The COSE algorithm identifier (RFC 9053).
    public let rawValue: Int

    /// `nil` unless `rawValue` is 10, 1 or 3.
    public init?(rawValue: Int) {
        guard [10, 1, 3].contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(unchecked rawValue: Int) { self.rawValue = rawValue }

    /// AES-CCM-16-64-128 (COSE 10): 16-byte key, 13-byte nonce, 8-byte tag. The default.
    public static let aesCCM16_64_128 = SealingAlgorithm(unchecked: 10)
    /// A128GCM (COSE 1): 16-byte key, 12-byte nonce, 16-byte tag.
    public static let a128GCM = SealingAlgorithm(unchecked: 1)
    /// A256GCM (COSE 3): 32-byte key, 12-byte nonce, 16-byte tag.
    public static let a256GCM = SealingAlgorithm(unchecked: 3)

    /// The default algorithm, ``aesCCM16_64_128``.
    public static let `default` = aesCCM16_64_128

    /// Every supported algorithm.
    public static let allCases: [SealingAlgorithm] = [.aesCCM16_64_128, .a128GCM, .a256GCM]

    /// The AEAD primitive with its sizes.
    public var aead: AEADAlgorithm {
        switch rawValue {
        case 10: .aes128CCM8
        case 1: .aes128GCM
        default: .aes256GCM
        }
    }

    /// Key length in bytes (16 for 10 and 1, 32 for 3).
    public var keyLength: Int { aead.keyLength }
    /// Nonce and Base IV length in bytes (13 for CCM, 12 for GCM).
    public var nonceLength: Int { aead.nonceLength }
    /// Tag length in bytes.
    public var tagLength: Int { aead.tagLength }

    public var description: String {
        switch rawValue {
        case 10: "AES-CCM-16-64-128 (10)"
        case 1: "A128GCM (1)"
        default: "A256GCM (3)"
        }
    }
}
