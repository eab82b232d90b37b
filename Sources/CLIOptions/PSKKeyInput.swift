import ArgumentParser
package import CoAP

/// The PSK key options every command spells the same way: `--psk-key` (text), `--psk-key-hex`,
/// `--psk-key-file`, one at a time, with `--psk-identity`.
package enum PSKKeyInput {
    /// Refuses more than one key, an identity without a key and, when `keyNeedsIdentity`, a key
    /// without an identity.
    package static func check(identity: String?, keys: [String?], keyNeedsIdentity: Bool = true) throws {
        let given = keys.compactMap { $0 }
        if given.count > 1 { throw ValidationError("give one of --psk-key, --psk-key-hex, --psk-key-file") }
        if identity != nil && given.isEmpty { throw ValidationError("--psk-identity needs a key (--psk-key, --psk-key-hex or --psk-key-file)") }
        if keyNeedsIdentity && identity == nil && !given.isEmpty { throw ValidationError("a PSK key needs --psk-identity") }
    }

    /// The key from whichever of `--psk-key`, `--psk-key-hex`, `--psk-key-file` was given.
    package static func load(text: String?, hex: String?, file: String?) throws(CoAPError) -> PSKKey {
        if let text { return try PSKKey(text: text) }
        if let hex { return try PSKKey(hex: hex) }
        return try PSKKey(contentsOfFile: file ?? "")
    }
}
