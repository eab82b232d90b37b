import Foundation
import LibCrypto
import Sealing
import Testing
import TestSupport

extension DeviceSecret {
    /// A fresh random secret, written to `directory/name` in the file format.
    static func generate(into directory: TemporaryDirectory, name: String = "device.secret") throws -> (DeviceSecret, String) {
        let secret = try DeviceSecret.generate()
        let path = directory.path + "/" + name
        try Data(secret.fileRepresentation().utf8).write(to: URL(fileURLWithPath: path))
        return (secret, path)
    }
}
