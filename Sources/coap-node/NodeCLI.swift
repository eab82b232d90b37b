import Foundation
import Logging

/// A failure the CLI reports as one line on stderr with a specific exit status.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = NodeCLI.failureStatus) {
        self.description = message
        self.exitCode = exitCode
    }
}

/// Exit statuses and output of `coap-node`.
enum NodeCLI {
    /// Every reading delivered.
    static let successStatus: Int32 = 0
    /// The node could not run (its data directory, the network client).
    static let failureStatus: Int32 = 1
    /// Readings remain undelivered (queued, or lost: dropped, refused, rejected, memory only).
    static let undeliveredStatus: Int32 = 2
    /// Bad arguments (EX_USAGE).
    static let usageStatus: Int32 = 64
    /// Some input lines were not readings (EX_DATAERR); everything else was delivered.
    static let badInputStatus: Int32 = 65

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data(("coap-node: " + line + "\n").utf8))
    }

    static func printOutput(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// libcoap's and the library's log lines: errors only, or everything down to info with -v.
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "coap-node")
        logger.logLevel = verbose ? .info : .error
        return logger
    }
}
