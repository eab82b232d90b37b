import ArgumentParser
import DeviceRegistry
import Foundation
import LibCrypto
import Logging

/// A failure reported as one line on stderr, with an exit status.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = CLI.refusedStatus) {
        self.description = message
        self.exitCode = exitCode
    }
}

enum CLI {
    static let refusedStatus: Int32 = 1
    static let usageStatus: Int32 = 64

    /// Only errors from the library's own logging reach stderr.
    static let logger: Logger = {
        var logger = Logger(label: "coap-registry")
        logger.logLevel = .error
        return logger
    }()

    /// Runs a command body and turns every failure into one stderr line and an exit status.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CLIFailure {
            throw fail(failure.description, failure.exitCode)
        } catch let error as DeviceRegistryError {
            throw fail(error.message, error.code == .invalidArgument ? usageStatus : refusedStatus)
        } catch let error as CryptoError {
            throw fail(error.message, error.code == .invalidEncoding ? usageStatus : refusedStatus)
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("\(error)", refusedStatus)
        }
    }

    static func fail(_ message: String, _ status: Int32) -> ExitCode {
        printError("coap-registry: \(message)")
        return ExitCode(status)
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func printJSON(_ value: some Encodable) throws {
        var data = try RegistryJSON.encoder().encode(value)
        data.append(UInt8(ascii: "\n"))
        FileHandle.standardOutput.write(data)
    }

    /// A date for people: ISO 8601 in UTC, to the second.
    static func format(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(.iso8601)
    }

    /// Parses `2025-01-31`, `2025-01-31T12:00:00Z`, or a time ago: `30s`, `15m`, `24h`, `7d`.
    static func parseTime(_ text: String, option: String) throws -> Date {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()), amount >= 0 {
            return Date().addingTimeInterval(-amount * seconds)
        }
        throw ValidationError("\(option): '\(text)' is not a time (use 2025-01-31, 2025-01-31T12:00:00Z, or 30m, 24h, 7d ago)")
    }

    static func parseHex(_ text: String, option: String) throws -> [UInt8] {
        do {
            return try Hex.decode(text, ignoringWhitespace: true)
        } catch {
            throw ValidationError("\(option) must be hex digits")
        }
    }

    static func parseLabels(_ labels: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for label in labels {
            guard let equals = label.firstIndex(of: "=") else { throw ValidationError("--label takes KEY=VALUE (got '\(label)')") }
            result[String(label[..<equals])] = String(label[label.index(after: equals)...])
        }
        return result
    }

    /// Reads a text file (PEM, export) of at most `maxBytes`.
    static func readText(_ path: String, what: String, maxBytes: Int = 16 << 20) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure("cannot read \(what) \(path)")
        }
        guard data.count <= maxBytes else { throw CLIFailure("\(what) \(path) is too large") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Prints rows as aligned columns.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }
}
