import Foundation
import LibCrypto
import Sealing
import TestSupport

/// Helpers of the Sealing tests: known secrets and the COSE WG example fixtures.
extension TestSupport {
    /// The secret 00 01 02 ... 1f used for known answers.
    static let countingSecret: DeviceSecret = {
        try! DeviceSecret(bytes: SecureBytes(Array(0..<32)))
    }()

    static func randomSecret() throws -> DeviceSecret {
        try DeviceSecret.generate()
    }

    /// A fixture JSON object from Fixtures/ (COSE WG examples).
    static func fixture(_ name: String) throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw TestFailure("fixture \(name).json not found in the test bundle")
        }
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("fixture \(name).json is not a JSON object")
        }
        return object
    }

    /// Decodes base64url without padding (JWK style).
    static func base64URL(_ text: String) throws -> [UInt8] {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { throw TestFailure("bad base64url") }
        return [UInt8](data)
    }
}

extension Dictionary where Key == String, Value == Any {
    func object(_ key: String) throws -> [String: Any] {
        guard let value = self[key] as? [String: Any] else { throw TestFailure("missing object \(key)") }
        return value
    }

    func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw TestFailure("missing string \(key)") }
        return value
    }
}
