import DeviceRegistry
import Foundation
import FuzzSupport

// Seeds: exports of registries like Tests/DeviceRegistryTests/RegistryExportTests.swift's
// (a device with a PSK, a sealing secret, a certificate and rules; an empty registry), made under
// the fixed test master key. The secrets are fixed test bytes, encrypted as exports hold them.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        let empty = try FuzzRegistry.shared.fresh()
        let emptyExport = try empty.exportJSON()
        let full = try FuzzRegistry.shared.fresh()
        _ = try full.addDevice(id: "dev-1", labels: ["site": "lab"], firmwareVersion: "2.0")
        _ = try full.addPSK(deviceID: "dev-1", identity: "dev-1", key: [UInt8](repeating: 0x09, count: 16))
        _ = try full.addSealingSecret(deviceID: "dev-1", kid: [0xAA, 0xBB], secret: [UInt8](repeating: 0x0A, count: 32), algorithm: 3)
        _ = try full.addCertificate(deviceID: "dev-1", fingerprint: String(repeating: "12", count: 32), subject: "dev-1")
        _ = try full.allow(deviceID: "dev-1", "POST /readings")
        _ = try full.allow(deviceID: nil, "GET /fw/**")
        _ = try full.addDevice(id: "dev-2")
        _ = try full.addCertificate(deviceID: "dev-2", fingerprint: nil, subject: "CN-dev-2")
        return SeedExport.binary("export", [[UInt8](emptyExport), [UInt8](try full.exportJSON())])
    }
    return 0
}
