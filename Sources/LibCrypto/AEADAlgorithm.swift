/// An authenticated encryption algorithm with its key, nonce and tag sizes.
///
/// The presets cover the COSE algorithms this project uses; ``aesCCM(keyLength:nonceLength:tagLength:)``
/// builds other AES-CCM variants.
public struct AEADAlgorithm: Hashable, Sendable, CustomStringConvertible {
    enum Mode: Hashable, Sendable { case ccm, gcm }

    let mode: Mode
    /// Key length in bytes (16, 24 or 32).
    public let keyLength: Int
    /// Nonce length in bytes.
    public let nonceLength: Int
    /// Authentication tag length in bytes, appended to the ciphertext.
    public let tagLength: Int

    private init(mode: Mode, keyLength: Int, nonceLength: Int, tagLength: Int) {
        self.mode = mode
        self.keyLength = keyLength
        self.nonceLength = nonceLength
        self.tagLength = tagLength
    }

    /// AES-128-CCM, 13-byte nonce, 8-byte tag (COSE alg 10, AES-CCM-16-64-128).
    public static let aes128CCM8 = AEADAlgorithm(mode: .ccm, keyLength: 16, nonceLength: 13, tagLength: 8)
    /// AES-256-CCM, 13-byte nonce, 8-byte tag (COSE alg 11, AES-CCM-16-64-256).
    public static let aes256CCM8 = AEADAlgorithm(mode: .ccm, keyLength: 32, nonceLength: 13, tagLength: 8)
    /// AES-128-GCM, 12-byte nonce, 16-byte tag (COSE alg 1, A128GCM).
    public static let aes128GCM = AEADAlgorithm(mode: .gcm, keyLength: 16, nonceLength: 12, tagLength: 16)
    /// AES-256-GCM, 12-byte nonce, 16-byte tag (COSE alg 3, A256GCM).
    public static let aes256GCM = AEADAlgorithm(mode: .gcm, keyLength: 32, nonceLength: 12, tagLength: 16)

    /// An AES-CCM variant. `keyLength` is 16, 24 or 32; `nonceLength` 7...13; `tagLength` even, 4...16.
    public static func aesCCM(keyLength: Int, nonceLength: Int, tagLength: Int) throws -> AEADAlgorithm {
        guard [16, 24, 32].contains(keyLength) else {
            throw CryptoError(.invalidParameter, "AES-CCM key length must be 16, 24 or 32 bytes, got \(keyLength)")
        }
        guard (7...13).contains(nonceLength) else {
            throw CryptoError(.invalidParameter, "AES-CCM nonce length must be 7...13 bytes, got \(nonceLength)")
        }
        guard (4...16).contains(tagLength), tagLength % 2 == 0 else {
            throw CryptoError(.invalidParameter, "AES-CCM tag length must be even and 4...16 bytes, got \(tagLength)")
        }
        return AEADAlgorithm(mode: .ccm, keyLength: keyLength, nonceLength: nonceLength, tagLength: tagLength)
    }

    /// AES-GCM with a 12-byte nonce and 16-byte tag; `keyLength` is 16, 24 or 32.
    public static func aesGCM(keyLength: Int) throws -> AEADAlgorithm {
        guard [16, 24, 32].contains(keyLength) else {
            throw CryptoError(.invalidParameter, "AES-GCM key length must be 16, 24 or 32 bytes, got \(keyLength)")
        }
        return AEADAlgorithm(mode: .gcm, keyLength: keyLength, nonceLength: 12, tagLength: 16)
    }

    public var description: String {
        let name = mode == .ccm ? "CCM" : "GCM"
        return "AES-\(keyLength * 8)-\(name)(nonce \(nonceLength), tag \(tagLength))"
    }

    var fetchedCipher: FetchedAlgorithm {
        switch (mode, keyLength) {
        case (.ccm, 16): .aes128CCM
        case (.ccm, 24): .aes192CCM
        case (.ccm, 32): .aes256CCM
        case (.gcm, 16): .aes128GCM
        case (.gcm, 24): .aes192GCM
        default: .aes256GCM
        }
    }
}
