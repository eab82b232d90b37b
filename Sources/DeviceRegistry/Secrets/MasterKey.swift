internal import LibCrypto

/// The registry's 32-byte master key and the keys derived from it.
///
/// Secrets are sealed with AES-256-GCM under the master key itself. The audit chain and the key
/// check value use keys derived with HKDF-SHA256 (empty salt, distinct `info` labels), so neither
/// reveals anything about the encryption key.
///
/// The key file holds 64 hex digits and an optional newline, mode 0600.
struct MasterKey: Sendable {
    static let length = 32

    /// AES-256-GCM key for secrets at rest.
    let encryptionKey: SecureBytes
    /// HMAC-SHA256 key for the audit chain.
    let auditKey: SecureBytes
    /// A public value that identifies the key (HMAC under a derived key): stored in the database so
    /// that opening it with another key fails clearly instead of failing to decrypt later.
    let checkValue: String

    init(bytes: SecureBytes) throws {
        guard bytes.count == Self.length else {
            throw DeviceRegistryError(.masterKey, "the master key must be \(Self.length) bytes, got \(bytes.count)")
        }
        do {
            encryptionKey = bytes
            auditKey = try HKDF.deriveKey(inputKeyMaterial: bytes, info: Array("securecoap-registry/1 audit chain".utf8), outputLength: 32)
            let checkKey = try HKDF.deriveKey(inputKeyMaterial: bytes, info: Array("securecoap-registry/1 key check".utf8), outputLength: 32)
            checkValue = Hex.encode(try HMACSHA256.authenticationCode(for: Array("securecoap-registry/1".utf8), key: checkKey).prefix(16))
        } catch let error as CryptoError {
            throw DeviceRegistryError(.masterKey, "cannot derive keys from the master key: \(error)")
        }
    }

    /// Loads the key file, refusing one that is missing, too widely accessible or the wrong size.
    static func load(path: String) throws -> MasterKey {
        let contents: SecureBytes
        do {
            contents = try SecretFile.read(path, maxBytes: 256, what: "master key file", requirePrivate: true)
        } catch let error as DeviceRegistryError where error.code == .notFound {
            throw DeviceRegistryError(
                .masterKey, "master key file \(path) does not exist (create one with `coap-registry init`, or name it with --master-key-file or SECURECOAP_MASTER_KEY_FILE)")
        }
        do {
            return try MasterKey(bytes: SecretFile.parseHex(contents, length: length, what: "master key file \(path)"))
        } catch let error as DeviceRegistryError {
            throw DeviceRegistryError(.masterKey, error.message + " (a master key file holds 64 hex digits)")
        }
    }

    /// Writes a new random key file with mode 0600; refuses to overwrite.
    static func create(at path: String) throws {
        let key = try generate()
        var text = key.withUnsafeBytes { Array(Hex.encode($0).utf8) } + [UInt8(ascii: "\n")]
        defer { text.withUnsafeMutableBytes { SecureBytes.wipe($0) } }
        try SecretFile.create(at: path, contents: text)
    }

    static func generate() throws -> SecureBytes {
        do {
            return try SecureBytes.random(count: length)
        } catch {
            throw DeviceRegistryError(.masterKey, "cannot generate a master key: \(error)")
        }
    }
}
