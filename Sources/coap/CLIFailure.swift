import ArgumentParser
import CoAP
import Foundation
import Logging

/// A failure the CLI reports as one line on stderr with a specific exit status.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = 4) {
        self.description = message
        self.exitCode = exitCode
    }
}

enum CLI {
    static let responseErrorStatus: Int32 = 1
    static let timeoutStatus: Int32 = 3
    static let transportStatus: Int32 = 4
    static let securityStatus: Int32 = 5
    static let usageStatus: Int32 = 64

    /// Runs a command body, mapping every failure to one stderr line and an exit status.
    static func run(_ command: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CLIFailure {
            fail(command, failure.description, failure.exitCode)
        } catch let error as CoAPError {
            switch error.code {
            case .timeout: fail(command, error.message, timeoutStatus)
            case .handshakeFailed: fail(command, error.message, securityStatus)
            case .invalidConfiguration, .invalidURI: fail(command, error.message, usageStatus)
            default: fail(command, error.message, transportStatus)
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            fail(command, "\(error)", transportStatus)
        }
    }

    static func fail(_ command: String, _ message: String, _ status: Int32) -> Never {
        FileHandle.standardError.write(Data("coap \(command): \(message)\n".utf8))
        exit(status)
    }

    /// libcoap's own log lines only with -v; otherwise the one-line failure says it all.
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "coap")
        logger.logLevel = verbose ? .warning : .critical
        return logger
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes a response body to stdout or the output file.
    static func emit(_ payload: [UInt8], to output: String?, newline: Bool = false) throws {
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(payload)) else {
                throw CLIFailure("cannot write '\(output)'")
            }
            return
        }
        var bytes = payload
        if newline, bytes.last != UInt8(ascii: "\n"), !bytes.isEmpty { bytes.append(UInt8(ascii: "\n")) }
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func describe(_ response: CoAPResponse) {
        printError("\(response.type) \(response.code)")
        for option in response.options { printError("  \(option)") }
        printError("  payload: \(response.payload.count) bytes")
    }
}
