import Foundation
import LibCrypto
import Sealing
import Testing

/// State behind an `NSLock`.
// @unchecked Sendable: `value` is only touched inside `withLock`, under `lock`.
final class TestLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temporary directory, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("nodetests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` until it holds or `seconds` pass (the condition is about effects, not speed).
func eventually(within seconds: Double = 20, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

extension DeviceSecret {
    /// A fresh random secret, written to `directory/name` in the file format.
    static func generate(into directory: TemporaryDirectory, name: String = "device.secret") throws -> (DeviceSecret, String) {
        let secret = try DeviceSecret.generate()
        let path = directory.path + "/" + name
        try Data(secret.fileRepresentation().utf8).write(to: URL(fileURLWithPath: path))
        return (secret, path)
    }
}
