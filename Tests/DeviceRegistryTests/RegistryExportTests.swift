import DeviceRegistry
import Foundation
import Testing

@Suite("Export and import")
struct RegistryExportTests {
    private func populated() throws -> DeviceRegistry {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1", labels: ["site": "lab"], firmwareVersion: "2.0")
        try registry.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.distinctiveSecret(16, seed: 9))
        try registry.addSealingSecret(deviceID: "dev-1", kid: [0xAA, 0xBB], secret: Fixtures.distinctiveSecret(32, seed: 10), algorithm: 3)
        try registry.addCertificate(deviceID: "dev-1", fingerprint: String(repeating: "12", count: 32), subject: "dev-1")
        try registry.allow(deviceID: "dev-1", "POST /readings")
        try registry.allow(deviceID: nil, "GET /fw/**")
        return registry
    }

    @Test func aRoundTripKeepsEverythingAndNoSecretIsInTheExport() throws {
        let source = try populated()
        let data = try source.exportJSON()
        for secret in [Fixtures.distinctiveSecret(16, seed: 9), Fixtures.distinctiveSecret(32, seed: 10)] {
            for (form, bytes) in Fixtures.leakForms(of: secret) {
                #expect(data.range(of: Data(bytes)) == nil, "\(form) secret in the export")
            }
        }
        #expect(try source.auditEntries().last?.action == .registryExported)

        let target = try Fixtures.memoryRegistry()
        let summary = try target.importJSON(data)
        #expect(summary == ImportSummary(devices: 1, credentials: 3, rules: 2))
        #expect(target.pskKey(forIdentity: "dev-1")?.key == Fixtures.distinctiveSecret(16, seed: 9))
        #expect(target.sealingSecret(forKid: [0xAA, 0xBB])?.algorithm == 3)
        #expect(target.deviceID(forCertificateFingerprint: String(repeating: "12", count: 32), subject: nil) == "dev-1")
        #expect(target.isAllowed(deviceID: "dev-1", method: "POST", path: "/readings"))
        #expect(target.isAllowed(deviceID: "dev-1", method: "GET", path: "/fw/1"))
        #expect(target.device("dev-1")?.labels == ["site": "lab"])
        #expect(try target.auditEntries().last?.action == .registryImported)
    }

    @Test func importIsAllOrNothing() throws {
        let data = try populated().exportJSON()
        let target = try Fixtures.memoryRegistry()
        try target.addDevice(id: "dev-1")
        #expect(throws: DeviceRegistryError.self) { try target.importJSON(data) }
        #expect(target.pskKey(forIdentity: "dev-1") == nil)
        #expect(try target.rules().isEmpty)
    }

    @Test func anExportUnderAnotherKeyIsRefused() throws {
        let data = try populated().exportJSON()
        let other = try DeviceRegistry.inMemory(masterKey: Array(repeating: 0x11, count: 32))
        #expect {
            try other.importJSON(data)
        } throws: { ($0 as? DeviceRegistryError)?.code == .masterKey }
        #expect(try other.devices().isEmpty)
    }

    @Test func aTamperedSecretRefusesTheImport() throws {
        var document = try RegistryJSON.decoder().decode(RegistryExport.self, from: try populated().exportJSON())
        let victim = document.devices[0].credentials[0].encryptedSecret!
        var bytes = [UInt8](Data(base64Encoded: victim)!)
        bytes[bytes.count - 1] ^= 1
        document.devices[0].credentials[0].encryptedSecret = Data(bytes).base64EncodedString()
        let target = try Fixtures.memoryRegistry()
        #expect {
            try target.importJSON(try RegistryJSON.encoder().encode(document))
        } throws: { ($0 as? DeviceRegistryError)?.code == .integrity }
        #expect(try target.devices().isEmpty)
    }

    @Test func garbageIsNotAnExport() throws {
        let target = try Fixtures.memoryRegistry()
        #expect(throws: DeviceRegistryError.self) { try target.importJSON(Data("{\"hello\": 1}".utf8)) }
        #expect(throws: DeviceRegistryError.self) { try target.importJSON(Data("not json".utf8)) }
    }
}
