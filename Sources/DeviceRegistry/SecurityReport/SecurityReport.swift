public import Foundation

/// Thresholds for ``DeviceRegistry/securityReport(options:)``.
public struct SecurityReportOptions: Sendable {
    /// PSK keys shorter than this many bytes are reported. Default 16.
    public var minimumPSKKeyLength = 16
    /// Active credentials ending within this many days are reported. Default 14.
    public var expiryWarningDays: Double = 14
    /// Active devices not seen for this many days (or never, and added longer ago) are reported. Default 30.
    public var notSeenDays: Double = 30
    /// Devices whose newest active PSK or sealing secret is older than this many days are reported. Default 90.
    public var rotationDays: Double = 90
    /// The time to judge against. Default: now.
    public var now = Date()

    /// The defaults.
    public init() {}
}

/// A security review of the registry, from ``DeviceRegistry/securityReport(options:)``.
public struct SecurityReport: Sendable, Codable, Equatable {
    /// When the report was made.
    public var generatedAt: Date
    /// How many devices were examined.
    public var deviceCount: Int
    /// Everything found, grouped by kind.
    public var findings: [SecurityFinding]

    /// Whether nothing was found.
    public var isClean: Bool { findings.isEmpty }

    public init(generatedAt: Date, deviceCount: Int, findings: [SecurityFinding]) {
        self.generatedAt = generatedAt
        self.deviceCount = deviceCount
        self.findings = findings
    }
}
