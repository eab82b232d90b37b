import ArgumentParser
import CoAP
import Foundation
import LibCrypto
import Sealing

/// `coap seal`: stdin → one sealed payload (COSE_Encrypt0, docs/sealed-format.md) on stdout.
struct SealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Seal stdin into a COSE_Encrypt0 message (a sealed payload) on stdout.",
        discussion: """
            The key and Base IV of --kid are derived from the device secret (HKDF-SHA256, \
            docs/sealed-format.md in the SecureCoAP repository); --device is bound into the message (external AAD) and must be \
            given again to open it. --seq is the Partial IV: this one-shot tool keeps no state, so \
            never seal two messages with the same --kid and --seq.

            The secret file holds the 32-byte device secret as 64 hex characters; blanks and \
            newlines around or between them are ignored.

            Exit status: 0 when the message was written; 64 on bad arguments (bad hex, a missing or \
            unreadable secret file, a secret that is not 64 hex characters).
            """
    )

    @Option(name: .customLong("secret-file"), help: "File holding the device secret: 64 hex characters.")
    var secretFile: String

    @Option(help: "Key id in hex, 1 to 64 bytes (e.g. 01).")
    var kid: String

    @Option(help: "Device id bound into the message (it must be given again to open it).")
    var device: String

    @Option(help: "Sequence number, sent as the Partial IV: 0 to 2^40-1, never reused with the same kid.")
    var seq: UInt64

    @Option(help: "COSE algorithm: 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM).")
    var alg: Int = SealingAlgorithm.default.rawValue

    @Option(
        name: .customLong("content-format"),
        help: "Content-Format of the payload, put in the protected header: a number or a name (text, json, cbor, senml+json, senml+cbor, octet).")
    var contentFormat: String = String(ContentFormat.octetStream.rawValue)

    @Flag(help: "Write the message as one line of lowercase hex instead of binary.")
    var hex = false

    func validate() throws {
        _ = try SealingCLI.parseKid(kid)
        _ = try SealingCLI.parseAlgorithm(alg)
        guard seq <= SealingCLI.maxSequenceNumber else {
            throw ValidationError("--seq must be at most 2^40-1 (\(SealingCLI.maxSequenceNumber)), got \(seq)")
        }
        guard ContentFormat(argument: contentFormat) != nil else {
            throw ValidationError("unknown content format '\(contentFormat)'")
        }
    }

    func run() async throws {
        try await CLI.run("seal") {
            let secret = try SealingCLI.readSecret(path: secretFile)
            let key = try SealingCLI.usage {
                try secret.deriveKey(kid: SealingCLI.parseKid(kid), algorithm: SealingCLI.parseAlgorithm(alg))
            }
            let format = ContentFormat(argument: contentFormat) ?? .octetStream
            let plaintext = Array(FileHandle.standardInput.readDataToEndOfFile())
            // The explicit-sequence entry point: the caller (here, the user) owns uniqueness.
            let message = try SealingCLI.usage {
                try key.seal(plaintext, contentFormat: format.rawValue, deviceID: device, sequenceNumber: seq)
            }
            if hex {
                FileHandle.standardOutput.write(Data((Hex.encode(message) + "\n").utf8))
            } else {
                FileHandle.standardOutput.write(Data(message))
            }
        }
    }
}

/// What `coap seal` and `coap open` share: argument parsing, the secret file, exit statuses.
enum SealingCLI {
    /// The message cannot be opened (authentication failure, malformed, unsupported algorithm...).
    static let cannotOpenStatus: Int32 = 2
    /// Bad arguments (EX_USAGE), as ArgumentParser's own validation errors.
    static let usageStatus: Int32 = 64
    /// The largest Partial IV (5 bytes).
    static let maxSequenceNumber: UInt64 = (1 << 40) - 1
    /// Secret files larger than this are refused without reading them whole.
    static let maxSecretFileSize = 1024

    static func parseKid(_ text: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(text)
        } catch {
            throw ValidationError("--kid must be hex (e.g. 01): \(error)")
        }
        guard (1...64).contains(bytes.count) else {
            throw ValidationError("--kid must be 1 to 64 bytes, got \(bytes.count)")
        }
        return bytes
    }

    static func parseAlgorithm(_ value: Int) throws -> SealingAlgorithm {
        guard let algorithm = SealingAlgorithm(rawValue: value) else {
            throw ValidationError("--alg must be 10 (AES-CCM-16-64-128), 1 (A128GCM) or 3 (A256GCM), got \(value)")
        }
        return algorithm
    }

    /// Runs `body`, turning a ``SealingError`` into a bad-arguments failure.
    static func usage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SealingError {
            throw CLIFailure(error.message, exitCode: usageStatus)
        }
    }

    /// Reads a device secret file: 64 hex digits, with blanks and newlines anywhere ignored.
    /// Failures are bad arguments (64) and never quote the file's contents.
    static func readSecret(path: String) throws -> DeviceSecret {
        var contents = try readSmallFile(path: path)
        var digits: [UInt8] = []
        digits.reserveCapacity(contents.count)  // no reallocation: every copy of the digits is wiped
        defer {
            contents.withUnsafeMutableBytes { SecureBytes.wipe($0) }
            digits.withUnsafeMutableBytes { SecureBytes.wipe($0) }
        }
        let blanks: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        for byte in contents where !blanks.contains(byte) { digits.append(byte) }
        guard digits.count == 2 * DeviceSecret.length else {
            throw CLIFailure(
                "secret file '\(path)' must hold \(2 * DeviceSecret.length) hex characters (\(DeviceSecret.length) bytes), found \(digits.count)",
                exitCode: usageStatus)
        }
        do {
            return try DeviceSecret(fileContents: digits)
        } catch {
            throw CLIFailure("secret file '\(path)' holds a character that is not a hex digit", exitCode: usageStatus)
        }
    }

    /// The bytes of a file of at most ``maxSecretFileSize`` bytes, read without Foundation copies.
    private static func readSmallFile(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIFailure("cannot open secret file '\(path)': \(String(cString: strerror(errno)))", exitCode: usageStatus)
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: maxSecretFileSize + 1)
        var count = 0
        while count < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) }
                throw CLIFailure("cannot read secret file '\(path)': \(reason)", exitCode: usageStatus)
            }
            count += n
        }
        guard count <= maxSecretFileSize else {
            buffer.withUnsafeMutableBytes { SecureBytes.wipe($0) }
            throw CLIFailure("secret file '\(path)' is larger than \(maxSecretFileSize) bytes: not a device secret file", exitCode: usageStatus)
        }
        buffer.withUnsafeMutableBytes { SecureBytes.wipe(UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
        buffer.removeLast(buffer.count - count)  // shrinks in place; the tail was just wiped
        return buffer
    }
}
