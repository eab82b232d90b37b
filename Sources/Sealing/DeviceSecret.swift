public import LibCrypto
import Platform

/// A device's 32-byte sealing secret, from which each kid's key and Base IV are derived.
///
/// It travels in a file of 64 hex characters, optionally followed by one newline; the same file works
/// for `coap seal/open`, `coap-registry add --sealing-secret-file` and `coap-node`. The bytes are held
/// in zeroizing storage and never shown by `description`.
public struct DeviceSecret: Sendable, CustomStringConvertible {
    /// The secret length in bytes (32).
    public static let length = 32

    /// The secret bytes.
    public let bytes: SecureBytes

    /// Wraps 32 secret bytes.
    public init(bytes: SecureBytes) throws {
        guard bytes.count == Self.length else {
            throw SealingError(.invalidKeyMaterial, "device secret must be \(Self.length) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// A new random secret.
    public static func generate() throws -> DeviceSecret {
        do {
            return try DeviceSecret(bytes: SecureBytes.random(count: length))
        } catch let error as CryptoError {
            throw SealingError(.cryptoFailure, "cannot generate a device secret: \(error)")
        }
    }

    /// Parses the file format: exactly 64 hex digits (either case), then optionally "\n" or "\r\n".
    public init(fileContents: some Collection<UInt8>) throws {
        var digits = Array(fileContents)
        defer { digits.withUnsafeMutableBytes { wipe($0) } }
        if digits.last == UInt8(ascii: "\n") {
            digits.removeLast()
            if digits.last == UInt8(ascii: "\r") { digits.removeLast() }
        }
        guard digits.count == 2 * Self.length else {
            throw SealingError(
                .invalidKeyMaterial,
                "device secret file must hold \(2 * Self.length) hex characters and an optional newline, found \(digits.count) characters"
            )
        }
        var failure: Int? = nil
        let secret = SecureBytes(count: Self.length) { out in
            for i in 0..<Self.length {
                guard let high = Hex.value(ofDigit: digits[2 * i]) else { failure = 2 * i; return }
                guard let low = Hex.value(ofDigit: digits[2 * i + 1]) else { failure = 2 * i + 1; return }
                out[i] = high << 4 | low
            }
        }
        if let failure {
            throw SealingError(.invalidKeyMaterial, "device secret file has a non-hex character at position \(failure + 1)")
        }
        bytes = secret
    }

    /// Parses the file format from text (see ``init(fileContents:)``).
    public init(hexString: String) throws {
        try self.init(fileContents: Array(hexString.utf8))
    }

    /// Reads and parses a secret file. Files larger than 1 KiB are refused without reading them whole.
    public init(contentsOfFile path: String) throws {
        let read: [UInt8]?
        do throws(FileError) { read = try DurableFile.contents(of: path, maxBytes: 1024, what: "device secret file", wipe: true) } catch {
            throw SealingError(error)
        }
        guard var contents = read else {
            throw SealingError(.storageFailure, "device secret file \(path) does not exist")
        }
        defer { contents.withUnsafeMutableBytes { wipe($0) } }
        try self.init(fileContents: contents)
    }

    /// The file format: 64 lowercase hex digits and a newline. This reveals the secret: write it only
    /// to a protected file, or print it once on purpose.
    public func fileRepresentation() -> String {
        bytes.withUnsafeBytes { Hex.encode($0) } + "\n"
    }

    /// Derives the key and Base IV of `kid` for `algorithm` (HKDF-SHA256, empty salt,
    /// info = CBOR `["coap-seal/1", kid, alg, "key" | "iv", length]`).
    public func deriveKey(kid: [UInt8], algorithm: SealingAlgorithm = .default) throws -> SealingKey {
        try SealingKey.checkKid(kid)
        do {
            let prk = try HKDF.extract(salt: [], inputKeyMaterial: bytes)
            let keyInfo = SealingFormat.derivationInfo(kid: kid, algorithm: algorithm, label: "key", length: algorithm.keyLength)
            let ivInfo = SealingFormat.derivationInfo(kid: kid, algorithm: algorithm, label: "iv", length: algorithm.nonceLength)
            let key = try HKDF.expand(pseudoRandomKey: prk, info: keyInfo, outputLength: algorithm.keyLength)
            let iv = try HKDF.expand(pseudoRandomKey: prk, info: ivInfo, outputLength: algorithm.nonceLength)
            return try SealingKey(kid: kid, algorithm: algorithm, key: key, baseIV: iv)
        } catch let error as CryptoError {
            throw SealingError(.cryptoFailure, "key derivation failed: \(error)")
        }
    }

    /// Opens a sealed payload with the key this secret derives for the message's own kid and
    /// algorithm. No replay check: this is for tools (`coap open`) and tests; a gateway uses ``KeyRing``.
    public func open(_ message: [UInt8], deviceID: String) throws -> OpenedPayload {
        let payload = try SealedPayload(parsing: message)
        let key = try deriveKey(kid: payload.kid, algorithm: payload.algorithm)
        return try key.open(payload, deviceID: deviceID)
    }

    public var description: String { "DeviceSecret(redacted)" }
}

/// Overwrites memory that held secret text.
func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    SecureBytes.wipe(buffer)
}

