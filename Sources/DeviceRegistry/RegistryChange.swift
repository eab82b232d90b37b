/// What changed in the registry, as passed to ``DeviceRegistry/onChange(_:)`` handlers.
public struct RegistryChange: Sendable, Equatable {
    /// The devices whose record, status, credentials or access rules changed (including removed
    /// devices). Empty means "unknown or everything": re-check every device (for example after a
    /// rule for all devices changed).
    public var deviceIDs: Set<String>

    public init(deviceIDs: Set<String>) {
        self.deviceIDs = deviceIDs
    }
}
