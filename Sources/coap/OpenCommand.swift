import ArgumentParser
import CoAP
import Foundation
import LibCrypto
import Sealing

/// `coap open`: one sealed payload on stdin → its plaintext on stdout, once authenticated.
struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Verify and decrypt a sealed payload (COSE_Encrypt0) read on stdin; write the plaintext to stdout.",
        discussion: """
            The key is derived from the device secret for the kid and algorithm named in the message. \
            The message is authenticated (key, headers, ciphertext and --device) before anything is \
            written. There is no replay check: this is a one-shot tool, the same message opens every time.

            The secret file holds the 32-byte device secret as 64 hex characters; blanks and \
            newlines around or between them are ignored. With --hex, stdin is the message as hex \
            digits (blanks and newlines ignored).

            Exit status: 0 when the message was opened; 2 when it cannot be opened (authentication \
            failure: altered message, wrong secret or wrong --device; malformed message; unsupported \
            algorithm), with the reason in one line on stderr; 64 on bad arguments (a missing or \
            unreadable secret file, a secret that is not 64 hex characters, stdin that is not hex \
            with --hex).
            """
    )

    @Option(name: .customLong("secret-file"), help: "File holding the device secret: 64 hex characters.")
    var secretFile: String

    @Option(help: "Device id the message was sealed for.")
    var device: String

    @Flag(help: "Read the message as hex digits instead of binary.")
    var hex = false

    @Flag(name: .customLong("show-header"), help: "Print kid, Partial IV, algorithm and content-format to stderr.")
    var showHeader = false

    @Flag(name: .shortAndLong, help: "Same as --show-header.")
    var verbose = false

    func run() async throws {
        try await CLI.run("open") {
            let secret = try SealingCLI.readSecret(path: secretFile)
            let input = Array(FileHandle.standardInput.readDataToEndOfFile())
            let message: [UInt8]
            if hex {
                do {
                    message = try Hex.decode(String(decoding: input, as: UTF8.self), ignoringWhitespace: true)
                } catch {
                    throw CLIFailure("stdin is not hex (--hex): \(error)", exitCode: SealingCLI.usageStatus)
                }
            } else {
                message = input
            }
            let opened: OpenedPayload
            do {
                opened = try secret.open(message, deviceID: device)
            } catch let error as SealingError {
                throw CLIFailure(Self.explain(error, message: message), exitCode: SealingCLI.cannotOpenStatus)
            }
            if showHeader || verbose {
                let format = ContentFormat(opened.contentFormat)
                CLI.printError("kid: \(Hex.encode(opened.kid))")
                let partialIV = (try? SealedPayload(parsing: message)).map { Hex.encode($0.partialIV) } ?? "?"
                CLI.printError("partial IV: \(partialIV) (seq \(opened.sequenceNumber))")
                CLI.printError("alg: \(opened.algorithm)")
                CLI.printError("content-format: \(format)")
                CLI.printError("device: \(opened.deviceID)")
                CLI.printError("plaintext: \(opened.plaintext.count) bytes")
            }
            FileHandle.standardOutput.write(Data(opened.plaintext))
        }
    }

    /// One line saying why `message` cannot be opened; names the kid and sequence number (not
    /// secret) when the headers could be read.
    static func explain(_ error: SealingError, message: [UInt8]) -> String {
        let headers = (try? SealedPayload(parsing: message)).map { " (kid \($0.kidHex), seq \($0.sequenceNumber), alg \($0.algorithm.rawValue))" } ?? ""
        switch error.code {
        case .authenticationFailed:
            return "cannot open: authentication failed\(headers): the message was altered, or the secret or --device is wrong"
        case .malformed where !error.message.hasPrefix("malformed"):
            return "cannot open: malformed message: \(error.message)"
        case .malformed, .unsupportedAlgorithm:
            return "cannot open: \(error.message)"
        default:
            return "cannot open: \(error.message)\(headers)"
        }
    }
}
