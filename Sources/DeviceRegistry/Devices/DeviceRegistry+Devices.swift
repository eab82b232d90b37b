import Foundation
internal import LibCrypto

extension DeviceRegistry {
    /// Adds an active device. Throws ``DeviceRegistryError/Code/alreadyExists`` for a duplicate id and
    /// ``DeviceRegistryError/Code/invalidArgument`` for an invalid id, labels or firmware version.
    @discardableResult
    public func addDevice(
        id: String, labels: [String: String] = [:], requireSealedReadings: Bool = true, isAdmin: Bool = false,
        firmwareVersion: String? = nil
    ) throws -> Device {
        try InputValidation.checkDeviceID(id)
        try InputValidation.checkLabels(labels)
        if let firmwareVersion { try InputValidation.checkFirmwareVersion(firmwareVersion) }
        let device = Device(
            id: id, createdAt: Date().roundedToMilliseconds, firmwareVersion: firmwareVersion, labels: labels,
            requireSealedReadings: requireSealedReadings, isAdmin: isAdmin)
        try change { transaction in
            try transaction.insertDevice(device)
            try appendAudit(
                transaction, .deviceAdded, deviceID: id,
                detail: "added (sealed readings \(requireSealedReadings ? "required" : "optional"), admin \(isAdmin))\(Self.describe(labels))")
        }
        return device
    }

    /// Sets a device's status: `.suspended` and `.revoked` make every lookup for it fail (and
    /// ``onChange(_:)`` handlers hear of it); `.active` resumes it. Setting the current status again
    /// changes nothing and is not audited.
    public func setStatus(_ status: DeviceStatus, for deviceID: String, reason: String? = nil) throws {
        try change { transaction in
            var device = try Self.existingDevice(deviceID, in: transaction)
            guard device.status != status else { return }
            let old = device.status
            device.status = status
            device.updatedAt = Date()
            try transaction.updateDevice(device)
            let action: AuditAction = switch status {
            case .active: .deviceResumed
            case .suspended: .deviceSuspended
            case .revoked: .deviceRevoked
            }
            try appendAudit(transaction, action, deviceID: deviceID, detail: "\(old.rawValue) → \(status.rawValue)\(Self.describe(reason: reason))")
        }
    }

    /// Records the firmware version a device runs (nil: unknown).
    public func setFirmwareVersion(_ version: String?, for deviceID: String) throws {
        if let version { try InputValidation.checkFirmwareVersion(version) }
        try updateDevice(deviceID, detail: "firmware \(version ?? "unknown")") { $0.firmwareVersion = version }
    }

    /// Replaces a device's labels.
    public func setLabels(_ labels: [String: String], for deviceID: String) throws {
        try InputValidation.checkLabels(labels)
        try updateDevice(deviceID, detail: "labels\(Self.describe(labels))") { $0.labels = labels }
    }

    /// Sets whether the device's readings must be sealed and whether it is an admin device.
    public func setFlags(requireSealedReadings: Bool, isAdmin: Bool, for deviceID: String) throws {
        try updateDevice(deviceID, detail: "sealed readings \(requireSealedReadings ? "required" : "optional"), admin \(isAdmin)") {
            $0.requireSealedReadings = requireSealedReadings
            $0.isAdmin = isAdmin
        }
    }

    private func updateDevice(_ deviceID: String, detail: String, _ update: (inout Device) -> Void) throws {
        try change { transaction in
            var device = try Self.existingDevice(deviceID, in: transaction)
            let before = device
            update(&device)
            guard device != before else { return }
            device.updatedAt = Date()
            try transaction.updateDevice(device)
            try appendAudit(transaction, .deviceUpdated, deviceID: deviceID, detail: detail)
        }
    }

    /// Removes a device with its credentials and rules (the audit log keeps its history).
    public func removeDevice(_ deviceID: String, reason: String? = nil) throws {
        try change { transaction in
            let device = try Self.existingDevice(deviceID, in: transaction)
            let credentials = try transaction.credentials(deviceID: deviceID)
            try transaction.deleteDevice(id: deviceID)
            try appendAudit(
                transaction, .deviceRemoved, deviceID: deviceID,
                detail: "removed (was \(device.status.rawValue), \(credentials.count) credentials)\(Self.describe(reason: reason))")
        }
    }

    /// Every device, ordered by id, read from the store (with last-seen times recorded by this
    /// process but not yet written).
    public func devices() throws -> [Device] {
        let devices = try store.read { try $0.devices() }
        let seen = pending.withLock { $0.latestSeen }
        return devices.map { device in
            var device = device
            if let time = seen[device.id], device.lastSeen.map({ $0 < time }) ?? true { device.lastSeen = time }
            return device
        }
    }

    /// One device read from the store (not the cache), or ``DeviceRegistryError/Code/notFound``.
    public func storedDevice(_ id: String) throws -> Device {
        try store.read { try Self.existingDevice(id, in: $0) }
    }

    static func existingDevice(_ id: String, in transaction: any DeviceStoreTransaction) throws -> Device {
        guard let device = try transaction.device(id: id) else {
            throw DeviceRegistryError(.notFound, "no device '\(id)'")
        }
        return device
    }

    static func describe(reason: String?) -> String {
        guard let reason, !reason.isEmpty else { return "" }
        return "; reason: \(reason)"
    }

    static func describe(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        return "; labels " + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// A new random id for a credential or rule: 16 lowercase hex digits.
    static func newID() throws -> String {
        do {
            return Hex.encode(try SecureRandom.bytes(count: 8))
        } catch {
            throw DeviceRegistryError(.storage, "cannot generate an id: \(error)")
        }
    }
}
