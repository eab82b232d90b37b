public import LibCrypto

extension DeviceRegistry {
    /// A 32-byte key derived from the master key (HKDF-SHA256, a distinct label per purpose), for
    /// stores kept beside the registry that wrap their own data keys — the gateway's readings. The
    /// master key itself never leaves the registry, and different purposes get unrelated keys.
    public func derivedKey(for purpose: String) throws -> SecureBytes {
        try HKDF.deriveKey(
            inputKeyMaterial: key.encryptionKey, info: Array("securecoap-registry/1 derived: \(purpose)".utf8), outputLength: 32)
    }
}
