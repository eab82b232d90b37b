import DeviceRegistry
import Foundation
import FuzzSupport
import Synchronization

/// The registry under test: SQLite files in a temporary directory created once per process, a
/// new empty database after each successful import. The master key is a fixed test value (32
/// bytes 0x42), written to the key file the registry reads, so generated seeds pass its key check.
final class FuzzRegistry: Sendable {
    static let shared = FuzzRegistry()
    static let masterKey = [UInt8](repeating: 0x42, count: 32)

    private struct State {
        var generation = 0
        var registry: DeviceRegistry?
    }

    let directory: String
    private let state = Mutex(State())

    private init() {
        directory = NSTemporaryDirectory() + "securecoap-fuzz-registry-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let keyFile = directory + "/master-key"
            let hex = Self.masterKey.map { String(format: "%02x", $0) }.joined() + "\n"
            guard FileManager.default.createFile(atPath: keyFile, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
                fatalError("cannot write \(keyFile)")
            }
        } catch { unexpected(error, "cannot prepare \(directory)") }
        atexit { try? FileManager.default.removeItem(atPath: FuzzRegistry.shared.directory) }
    }

    /// The registry inputs import into.
    var current: DeviceRegistry {
        if let registry = state.withLock({ $0.registry }) { return registry }
        do { return try fresh() } catch { unexpected(error, "cannot open the fuzz registry") }
    }

    /// Replaces the registry by an empty one (and deletes the old database files).
    @discardableResult
    func fresh() throws -> DeviceRegistry {
        let (old, path) = state.withLock { s -> (Int, String) in
            s.generation += 1
            return (s.generation - 1, directory + "/registry-\(s.generation).db")
        }
        var configuration = DeviceRegistryConfiguration()
        configuration.watchesForChanges = false
        let registry = try DeviceRegistry(databasePath: path, masterKeyFile: directory + "/master-key", configuration: configuration)
        state.withLock { $0.registry = registry }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory + "/registry-\(old).db" + suffix) }
        return registry
    }
}
