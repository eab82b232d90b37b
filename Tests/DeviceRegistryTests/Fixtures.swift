import DeviceRegistry
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the registry tests.
enum Fixtures {
    /// A 16-byte PSK key (the registry's minimum) told apart by its first bytes.
    static func key(_ bytes: UInt8...) -> [UInt8] { bytes + [UInt8](repeating: 0xA5, count: max(0, 16 - bytes.count)) }

    static let masterKey: [UInt8] = Array(0..<32).map { UInt8($0) &* 7 &+ 3 }

    /// An in-memory registry with a fixed master key.
    static func memoryRegistry() throws -> DeviceRegistry {
        try DeviceRegistry.inMemory(masterKey: masterKey)
    }

    /// A new SQLite registry in `directory` (database `registry.db`, key `registry.db.master-key`).
    static func sqliteRegistry(in directory: TemporaryDirectory, pollInterval: TimeInterval = 0.25, watch: Bool = true) throws -> DeviceRegistry {
        let database = directory.file("registry.db")
        let key = database + ".master-key"
        if !FileManager.default.fileExists(atPath: key) { try DeviceRegistry.createMasterKey(at: key) }
        var configuration = DeviceRegistryConfiguration()
        configuration.changePollInterval = pollInterval
        configuration.watchesForChanges = watch
        return try DeviceRegistry(databasePath: database, masterKeyFile: key, configuration: configuration)
    }

    /// Every file of the database: the main file, its WAL and shared memory.
    static func databaseFiles(_ database: String) -> [String] {
        [database, database + "-wal", database + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Whether `needle` occurs anywhere in the file at `path`.
    static func file(_ path: String, contains needle: [UInt8]) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard !needle.isEmpty, data.count >= needle.count else { return false }
        return data.range(of: Data(needle)) != nil
    }

    /// The forms a secret could leak in: raw, lowercase hex, uppercase hex, base64.
    static func leakForms(of secret: [UInt8]) -> [(String, [UInt8])] {
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        return [
            ("raw", secret), ("hex", Array(hex.utf8)), ("HEX", Array(hex.uppercased().utf8)),
            ("base64", Array(Data(secret).base64EncodedString().utf8)),
        ]
    }

    /// A distinctive secret that cannot occur by chance.
    static func distinctiveSecret(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0 &* 13 &+ 0x5A) }
    }

    /// File permission bits.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
