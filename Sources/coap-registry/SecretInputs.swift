import ArgumentParser
import DeviceRegistry
import Foundation
import LibCrypto

/// Reading secrets given on the command line or in files, and printing a generated one once.
enum SecretInputs {
    /// A PSK key from exactly one of: text, hex, a file (raw bytes, one trailing newline dropped).
    static func pskKey(text: String?, hex: String?, file: String?) throws -> [UInt8]? {
        if let text { return Array(text.utf8) }
        if let hex { return try CLI.parseHex(hex, option: "--psk-key-hex") }
        if let file {
            let contents = try SecretFile.read(file, maxBytes: 4096, what: "PSK key file")
            var bytes = contents.withUnsafeBytes { Array($0) }
            if bytes.last == 0x0A { bytes.removeLast() }
            if bytes.last == 0x0D { bytes.removeLast() }
            return bytes
        }
        return nil
    }

    /// A sealing secret file: 64 hex digits and an optional newline.
    static func sealingSecret(file: String) throws -> [UInt8] {
        try SecretFile.readHex(file, length: 32, what: "sealing secret file").withUnsafeBytes { Array($0) }
    }

    /// Writes a generated sealing secret to a new 0600 file in the format `coap seal` and
    /// `coap-node` read (64 hex digits and a newline).
    static func writeSealingSecret(_ secret: [UInt8], to path: String) throws {
        var text = Array((Hex.encode(secret) + "\n").utf8)
        defer { text.withUnsafeMutableBytes { SecureBytes.wipe($0) } }
        try SecretFile.create(at: path, contents: text)
    }

    /// Prints a generated PSK once, as `coap` options.
    static func printGeneratedPSK(identity: String, key: [UInt8]) {
        print("generated PSK key (shown only now; give it to the device): --psk-identity \(shellQuoted(identity)) --psk-key-hex \(Hex.encode(key))")
    }

    /// Prints a generated sealing secret once, in the secret file format.
    static func printGeneratedSealingSecret(kid: [UInt8], secret: [UInt8]) {
        print("generated sealing secret for kid \(Hex.encode(kid)) (shown only now; save it in a 0600 file for --sealing-secret-file): \(Hex.encode(secret))")
    }

    static func shellQuoted(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:@/+=".contains($0) }), text.allSatisfy(\.isASCII) {
            return text
        }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
