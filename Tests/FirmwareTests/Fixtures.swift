import Firmware
import Foundation
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

    static func trustAnchor() throws -> SUITTrustAnchor {
        try SUITTrustAnchor(pemRepresentation: String(decoding: data("trust_anchor_secp256r1_pub", "pem"), as: UTF8.self))
    }
}
