import Foundation
import TestSupport

/// The programs the registry tests run: the built `coap-registry` and the `sqlite3` shell, with
/// the registry's environment variables cleared so that a developer's own never leak in.
extension ChildProcess {
    typealias Result = TestSupport.ProcessResult

    /// The variables that would point a child at another registry.
    static let registryVariables = ["SECURECOAP_MASTER_KEY_FILE", "SECURECOAP_REGISTRY_DB"]

    /// The built `coap-registry` next to the test bundle (`swift build --build-tests` builds it).
    static func registryTool() throws -> String { try TestSupport.product("coap-registry") }

    /// The sqlite3 shell, used to tamper with a database the way an intruder would.
    static func sqliteShell() throws -> String { try TestSupport.tool("sqlite3", package: "the Debian package sqlite3") }

    /// Runs `path` with `arguments` to completion (killed after `timeout` seconds).
    static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
        stdin: String? = nil, timeout: Double = 60
    ) async throws -> Result {
        try await start(path, arguments, environment: environment, removing: removing, stdin: stdin).wait(timeout: timeout)
    }

    /// Starts `path` with `arguments`; collect it with `wait(timeout:)`.
    static func start(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [], stdin: String? = nil
    ) throws -> RunningProcess {
        try TestSupport.start(
            path, arguments, stdin: stdin.map { Data($0.utf8) }, environment: environment, removing: registryVariables + removing)
    }

    /// Runs SQL on a database with the sqlite3 shell; fails the test if the shell fails.
    static func sqlite(_ database: String, _ sql: String) async throws -> String {
        let result = try await run(try sqliteShell(), [database, sql])
        guard result.status == 0 else { throw TestFailure("sqlite3 failed: \(result)") }
        return result.stdout
    }
}
