import LibCrypto

/// What seals a stored reading's content (see ``ReadingsStore``): the store's data keys,
/// AES-256-GCM. Package-only: `ingest-bench`'s baseline supplies one that stores the content as it
/// is, to measure what encryption at rest costs on the same code path.
package protocol ReadingsContentCipher: AnyObject {
    func sealRow(_ plaintext: [UInt8], nonce: ArraySlice<UInt8>, authenticating aad: [UInt8]) throws -> [UInt8]
    func openRow(_ sealed: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8]
}

extension AEADCipher: ReadingsContentCipher {
    package func sealRow(_ plaintext: [UInt8], nonce: ArraySlice<UInt8>, authenticating aad: [UInt8]) throws -> [UInt8] {
        try seal(plaintext, nonce: nonce, authenticating: aad)
    }

    package func openRow(_ sealed: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] {
        try open(sealed, nonce: nonce, authenticating: aad)
    }
}
