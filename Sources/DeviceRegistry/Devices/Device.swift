public import Foundation

/// A registered device.
public struct Device: Sendable, Codable, Equatable {
    /// The device id: printable UTF-8, 1 to 64 bytes (see ``InputValidation/checkDeviceID(_:)``).
    public var id: String
    /// Whether the device may talk to a gateway.
    public var status: DeviceStatus
    /// When the device was added.
    public var createdAt: Date
    /// When the device record (status, labels, firmware, flags) last changed.
    public var updatedAt: Date
    /// The firmware version the device last reported or an admin recorded.
    public var firmwareVersion: String?
    /// When a gateway last saw the device (see ``DeviceRegistry/recordSeen(_:at:)``).
    public var lastSeen: Date?
    /// Free-form labels (site, model, owner ...).
    public var labels: [String: String]
    /// Whether the device's readings must arrive sealed (COSE_Encrypt0), even over DTLS. Default true.
    public var requireSealedReadings: Bool
    /// Whether the device may use administrative resources. Default false.
    public var isAdmin: Bool

    public init(
        id: String,
        status: DeviceStatus = .active,
        createdAt: Date = Date(),
        updatedAt: Date? = nil,
        firmwareVersion: String? = nil,
        lastSeen: Date? = nil,
        labels: [String: String] = [:],
        requireSealedReadings: Bool = true,
        isAdmin: Bool = false
    ) {
        self.id = id
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.firmwareVersion = firmwareVersion
        self.lastSeen = lastSeen
        self.labels = labels
        self.requireSealedReadings = requireSealedReadings
        self.isAdmin = isAdmin
    }
}
