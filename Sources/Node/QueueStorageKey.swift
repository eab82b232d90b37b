internal import CBOR
internal import LibCrypto
public import Sealing

/// The key that encrypts the node's offline queue at rest: AES-256-GCM, derived from the device
/// secret with HKDF-SHA256 under its own label, so it is never one of the sealing keys.
///
/// Derivation: HKDF-SHA256, salt empty, IKM the 32-byte device secret, info the CBOR array
/// `["coap-node-queue/1", device-id, 3, "key", 32]` (the sealing keys use `"coap-seal/1"` first).
///
/// Each queue entry is stored as `"SCQ1" ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16)`, with
/// the CBOR array `["coap-node-queue/1", device-id, entry-id]` as associated data: an entry cannot
/// be read without the secret, altered undetected, or renamed to another place in the queue.
public struct QueueStorageKey: Sendable, CustomStringConvertible {
    /// The HKDF label, distinct from the sealing format's `"coap-seal/1"`.
    public static let label = "coap-node-queue/1"
    static let magic: [UInt8] = Array("SCQ1".utf8)
    static let nonceLength = 12

    let key: SecureBytes
    /// The device bound into every entry's associated data.
    public let deviceID: String

    /// Derives the queue key of `deviceID` from its device secret.
    public init(secret: DeviceSecret, deviceID: String) throws {
        var info = CBORWriter(capacity: 48 + deviceID.utf8.count)
        info.writeArrayHeader(count: 5)
        info.writeTextString(Self.label)
        info.writeTextString(deviceID)
        info.writeInt(3)
        info.writeTextString("key")
        info.writeUnsigned(32)
        do {
            key = try HKDF.deriveKey(inputKeyMaterial: secret.bytes, salt: [], info: info.bytes, outputLength: 32)
        } catch {
            throw NodeError(.sealingFailure, "cannot derive the queue storage key: \(error)")
        }
        self.deviceID = deviceID
    }

    /// A cipher for this key. Not thread-safe: one owner at a time.
    func makeCipher() throws -> QueueCipher {
        do {
            return QueueCipher(cipher: try AEADCipher(algorithm: .aes256GCM, key: key), deviceID: deviceID)
        } catch {
            throw NodeError(.sealingFailure, "cannot prepare the queue storage cipher: \(error)")
        }
    }

    public var description: String { "QueueStorageKey(device: \(deviceID), redacted)" }
}

/// Encrypts and decrypts queue entries with a ``QueueStorageKey``. Not thread-safe (it holds
/// OpenSSL contexts); the offline queue owns one.
final class QueueCipher {
    private let cipher: AEADCipher
    private let deviceID: String

    init(cipher: AEADCipher, deviceID: String) {
        self.cipher = cipher
        self.deviceID = deviceID
    }

    private func associatedData(id: UInt64) -> [UInt8] {
        var writer = CBORWriter(capacity: 40 + deviceID.utf8.count)
        writer.writeArrayHeader(count: 3)
        writer.writeTextString(QueueStorageKey.label)
        writer.writeTextString(deviceID)
        writer.writeUnsigned(id)
        return writer.bytes
    }

    /// `"SCQ1" ‖ nonce ‖ ciphertext ‖ tag` for entry `id`.
    func seal(_ plaintext: [UInt8], id: UInt64) throws -> [UInt8] {
        do {
            let nonce = try SecureRandom.bytes(count: QueueStorageKey.nonceLength)
            var output = QueueStorageKey.magic + nonce
            try cipher.seal(plaintext, nonce: nonce, authenticating: associatedData(id: id), appendingTo: &output)
            return output
        } catch {
            throw NodeError(.sealingFailure, "cannot encrypt a queue entry: \(error)")
        }
    }

    /// The plaintext of entry `id`, or `nil` when the bytes are not an intact entry with this id
    /// under this key (torn, altered, moved, or another key).
    func open(_ stored: [UInt8], id: UInt64) -> [UInt8]? {
        let header = QueueStorageKey.magic.count + QueueStorageKey.nonceLength
        guard stored.count >= header + cipher.algorithm.tagLength,
              stored.prefix(QueueStorageKey.magic.count).elementsEqual(QueueStorageKey.magic)
        else { return nil }
        let nonce = stored[QueueStorageKey.magic.count..<header]
        return try? cipher.open(stored[header...], nonce: nonce, authenticating: associatedData(id: id))
    }
}
