import Firmware
import Foundation
import LibCrypto
import TestSupport

/// The draft's examples, as libcsuit publishes them, and their trust anchor.
enum Fixtures {
    static let examples = ["exp0", "exp1", "exp2A", "exp2B", "exp3", "exp4", "exp5"]

    static func data(_ name: String, _ ext: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/suit-libcsuit") else {
            throw TestFailure("fixture \(name).\(ext) missing from the test bundle")
        }
        return Array(try Data(contentsOf: url))
    }

    static func example(_ name: String) throws -> [UInt8] { try data("suit_manifest_" + name, "suit") }

    /// The examples' trust anchor (libcsuit's `trust_anchor_secp256r1_pub.pem`), as its public
    /// point: no key file is kept in the repository.
    static let trustAnchorPoint =
        "048496811aae0baaabd26157189eecda26beaa8bf11b6f3fe6e2b5659c85dbc0"
        + "ad3b1f2a4b6c098131c0a36dacd1d78bd381dcdfb09c052db33991db7338b4a896"

    static func trustAnchor() throws -> SUITTrustAnchor {
        try SUITTrustAnchor(p256Point: Hex.decode(trustAnchorPoint))
    }
}
