package import Foundation

/// Helpers every test target may use: where the built products and system tools are, waiting for
/// an effect, and running blocking work off the cooperative pool.
package enum TestSupport {
    /// The package root (this file is in Tests/TestSupport/).
    package static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A product built next to the test bundle (`swift build --build-tests` builds them all).
    package static func product(_ name: String) throws -> String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let fallback = packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw TestFailure("product '\(name)' is not built; run `swift build --build-tests` (make test does)")
        }
        return fallback
    }

    /// A system tool such as coap-client-notls, or a clear failure naming the package to install.
    package static func tool(_ name: String, package: String = "libcoap3-bin") throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw TestFailure("\(name) is missing: install \(package) (make test does)")
    }

    /// How much longer than usual the tests may take: `SECURECOAP_TIME_SCALE` (a whole number, 1 by
    /// default). `make sanitize` sets it, since a sanitized suite runs several times slower; time
    /// limits, waits and the bounds that only guard against a hang are multiplied by it.
    package static let timeScale: Int = {
        guard let text = ProcessInfo.processInfo.environment["SECURECOAP_TIME_SCALE"], let n = Int(text), n >= 1 else { return 1 }
        return n
    }()

    /// `seconds`, times ``timeScale``.
    package static func scaled(_ seconds: Double) -> Double { seconds * Double(timeScale) }

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds (times ``timeScale``)
    /// pass (the condition is about effects, not speed). Never blocks a thread.
    package static func eventually(timeout: Double = 15, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(scaled(timeout))
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Runs blocking work (sockets, poll) on a thread of its own: the cooperative pool is shared
    /// with every other test, and a pool thread blocked in `poll` stalls them.
    package static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
