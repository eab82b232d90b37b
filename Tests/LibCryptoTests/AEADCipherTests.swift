import LibCrypto
import Testing

@Suite("AEADCipher")
struct AEADCipherTests {
    private func key(_ hex: String) throws -> SecureBytes { SecureBytes(try Hex.decode(hex)) }

    @Test("AES-128-CCM, 13-byte nonce, 8-byte tag: RFC 3610 packet vector #1")
    func rfc3610Vector1() throws {
        let cipher = try AEADCipher(algorithm: .aes128CCM8, key: key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"))
        let nonce = try Hex.decode("00000003020100a0a1a2a3a4a5")
        let aad = try Hex.decode("0001020304050607")
        let plaintext = try Hex.decode("08090a0b0c0d0e0f101112131415161718191a1b1c1d1e")
        let sealed = try cipher.seal(plaintext, nonce: nonce, authenticating: aad)
        #expect(Hex.encode(sealed) == "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0")
        #expect(try cipher.open(sealed, nonce: nonce, authenticating: aad) == plaintext)
    }

    @Test("AES-128-GCM: NIST test case 3 (McGrew & Viega)")
    func gcmTestCase3() throws {
        let cipher = try AEADCipher(algorithm: .aes128GCM, key: key("feffe9928665731c6d6a8f9467308308"))
        let nonce = try Hex.decode("cafebabefacedbaddecaf888")
        let plaintext = try Hex.decode(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
        let sealed = try cipher.seal(plaintext, nonce: nonce)
        #expect(Hex.encode(sealed) ==
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
            + "4d5c2af327cd64a62cf35abd2ba6fab4")
        #expect(try cipher.open(sealed, nonce: nonce) == plaintext)
    }

    @Test("round trips for every preset, many sizes, one cipher reused in both directions",
          arguments: [AEADAlgorithm.aes128CCM8, .aes256CCM8, .aes128GCM, .aes256GCM])
    func roundTrips(algorithm: AEADAlgorithm) throws {
        let cipher = try AEADCipher(algorithm: algorithm, key: SecureBytes.random(count: algorithm.keyLength))
        for size in [0, 1, 15, 16, 17, 64, 255, 1024, 4099] {
            let plaintext = try SecureRandom.bytes(count: size)
            let nonce = try SecureRandom.bytes(count: algorithm.nonceLength)
            let aad = try SecureRandom.bytes(count: size % 40)
            let sealed = try cipher.seal(plaintext, nonce: nonce, authenticating: aad)
            #expect(sealed.count == size + algorithm.tagLength)
            #expect(try cipher.open(sealed, nonce: nonce, authenticating: aad) == plaintext)
            // Slices and buffers work as inputs too.
            #expect(try cipher.open(sealed[...], nonce: nonce[...], authenticating: aad[...]) == plaintext)
        }
    }

    @Test("tampering with ciphertext, tag, nonce or AAD is refused",
          arguments: [AEADAlgorithm.aes128CCM8, .aes128GCM])
    func tampering(algorithm: AEADAlgorithm) throws {
        let cipher = try AEADCipher(algorithm: algorithm, key: SecureBytes.random(count: algorithm.keyLength))
        let nonce = try SecureRandom.bytes(count: algorithm.nonceLength)
        let aad: [UInt8] = [1, 2, 3]
        let sealed = try cipher.seal(Array("attack at dawn".utf8), nonce: nonce, authenticating: aad)
        for index in sealed.indices {
            var bad = sealed
            bad[index] ^= 0x01
            #expect { try cipher.open(bad, nonce: nonce, authenticating: aad) } throws: {
                ($0 as? CryptoError)?.code == .authenticationFailed
            }
        }
        var badNonce = nonce
        badNonce[0] ^= 0x80
        #expect(throws: CryptoError.self) { try cipher.open(sealed, nonce: badNonce, authenticating: aad) }
        #expect(throws: CryptoError.self) { try cipher.open(sealed, nonce: nonce, authenticating: [1, 2]) }
        #expect(throws: CryptoError.self) { try cipher.open(Array(sealed.prefix(3)), nonce: nonce, authenticating: aad) }
        // The cipher still works after failures.
        #expect(try cipher.open(sealed, nonce: nonce, authenticating: aad) == Array("attack at dawn".utf8))
    }

    @Test("wrong key and nonce lengths are refused with clear codes")
    func sizeChecks() throws {
        #expect { try AEADCipher(algorithm: .aes128CCM8, key: SecureBytes([UInt8](repeating: 0, count: 15))) } throws: {
            ($0 as? CryptoError)?.code == .invalidKey
        }
        let cipher = try AEADCipher(algorithm: .aes128CCM8, key: SecureBytes([UInt8](repeating: 0, count: 16)))
        #expect { try cipher.seal([1], nonce: [UInt8](repeating: 0, count: 12)) } throws: {
            ($0 as? CryptoError)?.code == .invalidNonce
        }
        #expect(throws: CryptoError.self) { try AEADAlgorithm.aesCCM(keyLength: 16, nonceLength: 14, tagLength: 8) }
        #expect(throws: CryptoError.self) { try AEADAlgorithm.aesCCM(keyLength: 20, nonceLength: 13, tagLength: 8) }
        #expect(throws: CryptoError.self) { try AEADAlgorithm.aesCCM(keyLength: 16, nonceLength: 13, tagLength: 7) }
        let custom = try AEADAlgorithm.aesCCM(keyLength: 32, nonceLength: 7, tagLength: 16)
        let c2 = try AEADCipher(algorithm: custom, key: SecureBytes.random(count: 32))
        let nonce = [UInt8](repeating: 9, count: 7)
        #expect(try c2.open(c2.seal([1, 2, 3], nonce: nonce), nonce: nonce) == [1, 2, 3])
    }
}
