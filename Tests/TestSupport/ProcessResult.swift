package import Foundation

extension TestSupport {
    /// How a program run by ``TestSupport/run(_:_:stdin:timeout:environment:removing:)`` ended,
    /// and what it wrote.
    package struct ProcessResult: CustomStringConvertible, Sendable {
        /// The exit code, or 128 + the signal number when a signal ended it.
        package var status: Int32
        package var stdout: String
        package var stderr: String
        package var stdoutBytes: Data
        /// Whether it was killed for outliving its time limit.
        package var timedOut: Bool

        /// stdout without the newline libcoap's client appends to a body.
        package var trimmedStdout: String { stdout.hasSuffix("\n") ? String(stdout.dropLast()) : stdout }

        package var description: String {
            "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
        }
    }
}
