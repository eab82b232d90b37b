internal import LibCrypto
internal import Sealing
import Platform

/// The node's sealing state: the device secret, the current kid and its ``Sealer``, whose
/// sequence numbers come from `seq-<kid hex>` in the state directory
/// (``FileSequenceNumberSource``: reserved durably before use, never repeated across restarts).
///
/// Rotation derives the new kid's key from the same secret and starts (or resumes) that kid's own
/// sequence file. Not thread-safe by itself: owned by a ``NodeReporter``.
final class ReadingSealer {
    let deviceID: String
    let algorithm: SealingAlgorithm
    private let secret: DeviceSecret
    private let stateDirectory: String
    private let reservationSize: UInt64
    private(set) var sealer: Sealer

    init(
        secret: DeviceSecret, deviceID: String, kid: [UInt8], algorithm: SealingAlgorithm, stateDirectory: String,
        reservationSize: UInt64
    ) throws {
        self.secret = secret
        self.deviceID = deviceID
        self.algorithm = algorithm
        self.stateDirectory = stateDirectory
        self.reservationSize = reservationSize
        try NodeError.storage { try DurableFile.makeDirectory(stateDirectory) }
        sealer = try Self.makeSealer(
            secret: secret, deviceID: deviceID, kid: kid, algorithm: algorithm, stateDirectory: stateDirectory,
            reservationSize: reservationSize)
    }

    var kid: [UInt8] { sealer.kid }

    /// Switches to `kid`; messages sealed from now on carry it.
    func rotate(to kid: [UInt8]) throws {
        guard kid != sealer.kid else { return }
        sealer = try Self.makeSealer(
            secret: secret, deviceID: deviceID, kid: kid, algorithm: algorithm, stateDirectory: stateDirectory,
            reservationSize: reservationSize)
    }

    /// Seals `plaintext` with the current kid and the next sequence number.
    func seal(_ plaintext: [UInt8], contentFormat: UInt16) throws -> [UInt8] {
        do {
            return try sealer.seal(plaintext, contentFormat: contentFormat)
        } catch let error as SealingError {
            throw NodeError(.sealingFailure, "cannot seal a message with kid \(Hex.encode(sealer.kid)): \(error.message)")
        }
    }

    /// The sequence file of a kid.
    static func sequenceFile(stateDirectory: String, kid: [UInt8]) -> String {
        stateDirectory + "/seq-" + Hex.encode(kid)
    }

    private static func makeSealer(
        secret: DeviceSecret, deviceID: String, kid: [UInt8], algorithm: SealingAlgorithm, stateDirectory: String,
        reservationSize: UInt64
    ) throws -> Sealer {
        do {
            let key = try secret.deriveKey(kid: kid, algorithm: algorithm)
            let sequence = try FileSequenceNumberSource(
                path: sequenceFile(stateDirectory: stateDirectory, kid: kid), reservationSize: reservationSize)
            return try Sealer(key: key, deviceID: deviceID, sequenceNumbers: sequence)
        } catch let error as SealingError {
            throw NodeError(.sealingFailure, "cannot prepare sealing with kid \(Hex.encode(kid)): \(error.message)")
        }
    }
}
