import Foundation
import TestSupport

/// A throw-away PKI made at test time by `interop/make-test-pki.sh` (keys are never committed).
enum TestPKI {
    private static let made: Result<String, TestFailure> = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("securecoap-pki-\(getpid())").path
        let script = TestSupport.packageRoot.appendingPathComponent("interop/make-test-pki.sh").path
        do {
            let child = try ChildProcess("/bin/bash", [script, dir])
            let status = child.waitBlocking()
            guard status == 0 else { return .failure(TestFailure("make-test-pki.sh exited \(status)")) }
            return .success(dir)
        } catch {
            return .failure(TestFailure("cannot run make-test-pki.sh: \(error)"))
        }
    }()

    /// The directory holding ca.pem, server.pem/.key, client.pem/.key, expired..., rogue...
    static func directory() throws -> String { try made.get() }

    /// `<dir>/<name>`.
    static func path(_ name: String) throws -> String { try directory() + "/" + name }
}
