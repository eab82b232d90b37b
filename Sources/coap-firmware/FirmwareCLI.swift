import ArgumentParser
import Firmware
import Foundation
import Platform

/// A failure reported as one line on stderr, with an exit status.
struct FirmwareCLIFailure: Error {
    var message: String
    var status: Int32
}

enum FirmwareCLI {
    static let refused: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65

    /// Largest image `sign` reads (it hashes the whole file once).
    static let maxImageBytes = 256 << 20
    /// Largest envelope or key file read.
    static let maxSmallFile = 4 << 20

    /// Runs a command body, turning every failure into one stderr line and an exit status.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as FirmwareCLIFailure {
            throw fail(failure.message, failure.status)
        } catch let error as SUITError {
            let status = error.code == .malformed || error.code == .unsupported || error.code == .digestMismatch ? dataError : refused
            throw fail(error.message, error.code == .invalidKey ? refused : status)
        } catch let error as FileError {
            throw fail(error.message, refused)
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        }
    }

    static func fail(_ message: String, _ status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("coap-firmware: \(message)\n".utf8))
        return ExitCode(status)
    }

    /// A whole file, at most `maxBytes`; a missing file is a refusal naming it.
    static func read(_ path: String, what: String, maxBytes: Int = maxSmallFile, requirePrivate: Bool = false) throws -> [UInt8] {
        guard let bytes = try DurableFile.contents(of: path, maxBytes: maxBytes, what: what, requirePrivate: requirePrivate) else {
            throw FirmwareCLIFailure(message: "\(what) \(path) does not exist", status: refused)
        }
        return bytes
    }

    static func trustAnchor(_ path: String) throws -> SUITTrustAnchor {
        try SUITTrustAnchor(pemRepresentation: String(decoding: read(path, what: "trust anchor"), as: UTF8.self))
    }

    /// A UUID in its text form, as its 16 bytes.
    static func uuid(_ text: String, option: String) throws -> [UInt8] {
        guard let uuid = UUID(uuidString: text) else { throw ValidationError("\(option) \(text) is not a UUID (8-4-4-4-12 hex digits)") }
        return withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    static func writeStdout(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }
}
