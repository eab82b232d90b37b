package import ArgumentParser
import LibCrypto
package import Sealing

/// The options that seal messages with a device secret: `--sealing-secret-file`, `--kid` and
/// `--alg`. Use it with `@OptionGroup`, and call ``check()`` from the command's `validate()`
/// where its checks belong.
package struct SealingOptions: ParsableArguments {
    @Option(name: .customLong("sealing-secret-file"), help: "Device secret file (64 hex characters): seals messages and encrypts the queue.")
    package var sealingSecretFile: String?

    @Option(help: "Key id to seal with, in hex (e.g. 01). Changing it rotates: queued readings are sealed with the new kid.")
    package var kid: String?

    @Option(help: "COSE algorithm: 10 (AES-CCM-16-64-128, default), 1 (A128GCM) or 3 (A256GCM).")
    package var alg: Int = SealingAlgorithm.default.rawValue

    package init() {}

    /// Refuses a kid that is not 1 to 64 bytes of hex, and an unknown algorithm.
    package func check() throws {
        if let kid { _ = try Self.parseKid(kid) }
        guard SealingAlgorithm(rawValue: alg) != nil else { throw ValidationError("--alg must be 10, 1 or 3") }
    }

    /// The kid's bytes, when `--kid` was given.
    package func kidBytes() throws -> [UInt8]? { try kid.map(Self.parseKid) }

    /// The algorithm of `--alg` (the default for a value ``check()`` refuses).
    package var algorithm: SealingAlgorithm { SealingAlgorithm(rawValue: alg) ?? .default }

    /// The device secret of `--sealing-secret-file`, when it was given. Throws ``SealingError``.
    package func secret() throws -> DeviceSecret? {
        try sealingSecretFile.map { try DeviceSecret(contentsOfFile: $0) }
    }

    static func parseKid(_ text: String) throws -> [UInt8] {
        guard let bytes = try? Hex.decode(text), (1...64).contains(bytes.count) else {
            throw ValidationError("--kid must be 1 to 64 bytes in hex (e.g. 01)")
        }
        return bytes
    }
}
