internal import LibCrypto

/// Encrypts credential secrets for storage.
///
/// Format of a sealed secret: `0x01 ‖ nonce (12 random bytes) ‖ AES-256-GCM ciphertext ‖ tag (16)`,
/// under the master key, with associated data
/// `"securecoap-registry/1 secret" ‖ u16 len ‖ device id ‖ u16 len ‖ credential id`, so a sealed
/// secret moved to another row (another device or credential) no longer decrypts.
///
/// Not thread-safe (it holds an OpenSSL context): make one per operation or per batch.
struct SecretBox {
    static let formatVersion: UInt8 = 1
    static let nonceLength = 12

    private let cipher: AEADCipher

    init(key: MasterKey) throws {
        do {
            cipher = try AEADCipher(algorithm: .aes256GCM, key: key.encryptionKey)
        } catch {
            throw DeviceRegistryError(.masterKey, "cannot set up AES-256-GCM with the master key: \(error)")
        }
    }

    func seal(_ secret: SecureBytes, deviceID: String, credentialID: String) throws -> [UInt8] {
        do {
            let nonce = try SecureRandom.bytes(count: Self.nonceLength)
            var output: [UInt8] = [Self.formatVersion] + nonce
            try secret.withUnsafeBytes { plain in
                try cipher.seal(
                    UnsafeBufferPointer(start: plain.baseAddress?.assumingMemoryBound(to: UInt8.self), count: plain.count),
                    nonce: nonce, authenticating: Self.associatedData(deviceID: deviceID, credentialID: credentialID),
                    appendingTo: &output)
            }
            return output
        } catch {
            throw DeviceRegistryError(.storage, "cannot encrypt a secret: \(error)")
        }
    }

    func open(_ sealed: [UInt8], deviceID: String, credentialID: String) throws -> SecureBytes {
        guard sealed.count >= 1 + Self.nonceLength + 16, sealed[0] == Self.formatVersion else {
            throw DeviceRegistryError(.integrity, "the stored secret of credential \(credentialID) is malformed")
        }
        let nonce = sealed[1...Self.nonceLength]
        let body = sealed[(1 + Self.nonceLength)...]
        do {
            var plain = try cipher.open(body, nonce: nonce, authenticating: Self.associatedData(deviceID: deviceID, credentialID: credentialID))
            defer { plain.withUnsafeMutableBytes { SecureBytes.wipe($0) } }
            return SecureBytes(plain)
        } catch {
            throw DeviceRegistryError(
                .integrity,
                "the stored secret of credential \(credentialID) (device \(deviceID)) does not decrypt: wrong master key, or the row was altered or moved")
        }
    }

    static func associatedData(deviceID: String, credentialID: String) -> [UInt8] {
        var aad = Array("securecoap-registry/1 secret".utf8)
        for field in [deviceID, credentialID] {
            let bytes = Array(field.utf8)
            aad.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
            aad.append(UInt8(truncatingIfNeeded: bytes.count))
            aad += bytes
        }
        return aad
    }
}

@available(*, unavailable, message: "SecretBox holds an OpenSSL cipher context; make one per thread")
extension SecretBox: Sendable {}
