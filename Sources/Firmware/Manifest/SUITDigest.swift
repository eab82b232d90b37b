public import CBOR
internal import LibCrypto

/// A `SUIT_Digest`: `[algorithm-id, digest-bytes]`. Only SHA-256 (COSE algorithm −16) is
/// implemented; any other algorithm is refused as ``SUITError/Code/unsupported``.
public struct SUITDigest: Hashable, Sendable, CustomStringConvertible {
    /// COSE algorithm id of SHA-256.
    public static let sha256AlgorithmID: Int64 = -16

    /// The 32 digest bytes.
    public var bytes: [UInt8]

    /// A SHA-256 digest with these bytes (32 of them).
    public init(sha256 bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw SUITError(.malformed, "a SHA-256 digest is 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// The SHA-256 digest of `data`.
    public static func sha256(of data: some RandomAccessCollection<UInt8>) throws -> SUITDigest {
        do {
            return try SUITDigest(sha256: LibCrypto.SHA256.hash(data))
        } catch let error as SUITError {
            throw error
        } catch {
            throw SUITError(.malformed, "SHA-256 failed: \(error)")
        }
    }

    init(cbor value: CBOR, _ path: String) throws {
        let items = try SUITDecoding.array(value, path)
        guard items.count == 2, let algorithm = items[0].int64Value else {
            throw SUITError.malformed(path, "a digest is [algorithm-id, digest-bytes]")
        }
        guard algorithm == Self.sha256AlgorithmID else {
            throw SUITError.unsupported(path, "digest algorithm \(algorithm) (only SHA-256, -16, is implemented)")
        }
        let digest = try SUITDecoding.bytes(items[1], path + ".digest-bytes")
        guard digest.count == 32 else { throw SUITError.malformed(path, "a SHA-256 digest is 32 bytes, got \(digest.count)") }
        bytes = digest
    }

    /// As CBOR: `[-16, h'…']`.
    public var cbor: CBOR { .array([.int(Self.sha256AlgorithmID), .byteString(bytes)]) }

    /// Whether `data` hashes to this digest. (A digest is public: no constant-time comparison is
    /// needed.)
    public func matches(_ data: some RandomAccessCollection<UInt8>) -> Bool {
        (try? Self.sha256(of: data)) == self
    }

    /// `sha-256:` and the hex digest.
    public var description: String { "sha-256:" + Hex.encode(bytes) }
}
