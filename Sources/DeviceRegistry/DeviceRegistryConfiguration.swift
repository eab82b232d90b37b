public import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Tuning for a ``DeviceRegistry``. The defaults suit a gateway and the CLI.
public struct DeviceRegistryConfiguration: Sendable {
    /// How often the store is checked for changes made by other processes. Default 0.25 s, so a
    /// change is seen well within a second.
    public var changePollInterval: TimeInterval = 0.25
    /// How long a writer waits for another process's lock before failing. Default 5 s.
    public var busyTimeout: TimeInterval = 5
    /// How often last-seen times recorded with ``DeviceRegistry/recordSeen(_:at:)`` are written.
    /// Default 2 s.
    public var lastSeenFlushInterval: TimeInterval = 2
    /// Who admin changes are attributed to in the audit log. Default: `user@host program[pid]`.
    public var actor: String = DeviceRegistryConfiguration.defaultActor
    /// The most security events held in memory awaiting their audit entry. Beyond it, events are
    /// counted and recorded as one `event.dropped` entry. Default 10,000.
    public var maximumPendingEvents: Int = 10_000
    /// Whether to watch the store for changes by other processes (a background thread). Default true.
    public var watchesForChanges: Bool = true

    /// The defaults.
    public init() {}

    /// `user@host program[pid]` for this process.
    public static var defaultActor: String {
        var user = ProcessInfo.processInfo.environment["USER"] ?? ""
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name {
            user = String(cString: name)
        }
        if user.isEmpty { user = "uid \(getuid())" }
        let program = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "unknown"
        var host = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(user)@\(hostName) \(program)[\(getpid())]"
    }
}
