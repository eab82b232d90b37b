import Foundation

/// A fresh directory (mode 0700) under the system's temporary directory, removed by ``remove()``
/// or when the value goes away.
package final class TemporaryDirectory: Sendable {
    package let path: String

    package init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("securecoap-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        path = url.path
    }

    /// The path of `name` inside the directory.
    package func file(_ name: String) -> String { path + "/" + name }

    /// Removes the directory and everything in it (idempotent).
    package func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}
