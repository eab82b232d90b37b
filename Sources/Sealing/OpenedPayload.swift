internal import LibCrypto

/// A verified, decrypted sealed payload.
///
/// `description` shows the metadata and the plaintext's size, never the plaintext.
public struct OpenedPayload: Sendable, CustomStringConvertible {
    /// The device the kid belongs to (and that the external AAD named).
    public let deviceID: String
    /// The key id used.
    public let kid: [UInt8]
    /// The algorithm used.
    public let algorithm: SealingAlgorithm
    /// The sender's sequence number.
    public let sequenceNumber: UInt64
    /// The inner payload's CoAP Content-Format.
    public let contentFormat: UInt16
    /// The decrypted payload.
    public let plaintext: [UInt8]

    init(payload: SealedPayload, kid: [UInt8], deviceID: String, plaintext: [UInt8]) {
        self.deviceID = deviceID
        self.kid = kid
        self.algorithm = payload.algorithm
        self.sequenceNumber = payload.sequenceNumber
        self.contentFormat = payload.contentFormat
        self.plaintext = plaintext
    }

    public var description: String {
        "OpenedPayload(device: \(deviceID), kid: \(Hex.encode(kid)), seq: \(sequenceNumber), "
            + "content-format: \(contentFormat), \(plaintext.count) bytes)"
    }
}
