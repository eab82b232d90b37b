internal import LibCrypto
import Platform
/// Seals payloads for one device with one key, drawing sequence numbers from a
/// ``SequenceNumberSource``.
///
/// ```swift
/// let key = try secret.deriveKey(kid: [0x01])
/// let sequence = try FileSequenceNumberSource(path: "/var/lib/node/seq-01")
/// let sealer = try Sealer(key: key, deviceID: "dev-42", sequenceNumbers: sequence)
/// let message = try sealer.seal(senmlCBOR, contentFormat: 112)
/// ```
///
/// Thread-safe; seals are serialized internally.
public final class Sealer: Sendable {
    /// The kid this sealer uses.
    public let kid: [UInt8]
    /// The algorithm this sealer uses.
    public let algorithm: SealingAlgorithm
    /// The device id bound into every message's external AAD.
    public let deviceID: String
    /// The sequence number source.
    public let sequenceNumbers: any SequenceNumberSource

    private let engine: Locked<SealingEngine>

    /// Prepares a sealer. The cipher is set up once here.
    public init(key: SealingKey, deviceID: String, sequenceNumbers: any SequenceNumberSource) throws {
        self.kid = key.kid
        self.algorithm = key.algorithm
        self.deviceID = deviceID
        self.sequenceNumbers = sequenceNumbers
        engine = Locked(try SealingEngine(key: key, deviceID: deviceID))
    }

    /// Seals `plaintext` (whose CoAP Content-Format is `contentFormat`) with the next sequence number.
    /// The number is taken (and, for a durable source, persisted) before encryption.
    public func seal(_ plaintext: [UInt8], contentFormat: UInt16) throws -> [UInt8] {
        try engine.withLock { engine in
            let sequenceNumber = try sequenceNumbers.nextSequenceNumber()
            return try engine.seal(plaintext, contentFormat: contentFormat, sequenceNumber: sequenceNumber)
        }
    }
}
