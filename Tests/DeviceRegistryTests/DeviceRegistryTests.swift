import DeviceRegistry
import Foundation
import Testing
import TestSupport

@Suite("DeviceRegistry lookups")
struct DeviceRegistryTests {
    @Test func pskLookupFindsAnActiveDevicesKey() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        let key: [UInt8] = Array(repeating: 0x42, count: 16)
        let credential = try registry.addPSK(deviceID: "dev-1", identity: "dev-1-id", key: key)

        let match = try #require(registry.pskKey(forIdentity: "dev-1-id"))
        #expect(match.deviceID == "dev-1")
        #expect(match.key == key)
        #expect(match.credentialID == credential.id)
        #expect(registry.pskKey(forIdentity: "unknown") == nil)
    }

    @Test func pskLookupRefusesSuspendedRevokedAndResumesActive() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "id", key: Fixtures.key(1, 2, 3, 4))

        try registry.setStatus(.suspended, for: "dev-1", reason: "maintenance")
        #expect(registry.pskKey(forIdentity: "id") == nil)
        #expect(registry.device("dev-1")?.status == .suspended)
        try registry.setStatus(.active, for: "dev-1")
        #expect(registry.pskKey(forIdentity: "id") != nil)
        try registry.setStatus(.revoked, for: "dev-1")
        #expect(registry.pskKey(forIdentity: "id") == nil)
    }

    @Test func pskLookupHonoursTheValidityWindowAndCredentialStatus() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        let now = Date()
        try registry.addPSK(deviceID: "dev-1", identity: "future", key: Fixtures.key(1), notBefore: now.addingTimeInterval(3600))
        try registry.addPSK(deviceID: "dev-1", identity: "past", key: Fixtures.key(2), notAfter: now.addingTimeInterval(-1))
        let current = try registry.addPSK(
            deviceID: "dev-1", identity: "current", key: Fixtures.key(3), notBefore: now.addingTimeInterval(-60), notAfter: now.addingTimeInterval(3600))

        #expect(registry.pskKey(forIdentity: "future") == nil)
        #expect(registry.pskKey(forIdentity: "past") == nil)
        #expect(registry.pskKey(forIdentity: "current")?.key == Fixtures.key(3))

        try registry.setCredentialStatus(.revoked, credentialID: current.id, reason: "leaked")
        #expect(registry.pskKey(forIdentity: "current") == nil)
        #expect(throws: DeviceRegistryError.self) { try registry.setCredentialStatus(.active, credentialID: current.id) }
        #expect(registry.pskKey(forIdentity: "current") == nil)
    }

    @Test func rotationKeepsTheOldPSKDuringTheGracePeriodOnly() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.key(9, 9, 9))

        let rotation = try registry.rotatePSK(deviceID: "dev-1", grace: 3600)
        #expect(rotation.credential.pskIdentity == "dev-1.2")
        #expect(rotation.secret.count == 16)
        #expect(rotation.retired.map(\.status) == [.retired])
        #expect(registry.pskKey(forIdentity: "dev-1")?.key == Fixtures.key(9, 9, 9))
        #expect(registry.pskKey(forIdentity: "dev-1.2")?.key == rotation.secret)

        let immediate = try registry.rotatePSK(deviceID: "dev-1", identity: "third", grace: 0)
        #expect(registry.pskKey(forIdentity: "dev-1.2") == nil)
        #expect(registry.pskKey(forIdentity: "third")?.key == immediate.secret)
        #expect(!String(describing: immediate).contains(immediate.secret.map { String(format: "%02x", $0) }.joined()))
    }

    @Test func certificateLookupByFingerprintOrSubject() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "cam-1")
        try registry.addDevice(id: "cam-2")
        let fingerprint = String(repeating: "ab", count: 32)
        // Colons and upper case, as `openssl x509 -fingerprint` prints it.
        try registry.addCertificate(deviceID: "cam-1", fingerprint: Array(repeating: "AB", count: 32).joined(separator: ":"))
        try registry.addCertificate(deviceID: "cam-2", fingerprint: nil, subject: "cam-2.example")

        #expect(registry.deviceID(forCertificateFingerprint: fingerprint, subject: nil) == "cam-1")
        #expect(registry.deviceID(forCertificateFingerprint: fingerprint.uppercased(), subject: "whatever") == "cam-1")
        #expect(registry.deviceID(forCertificateFingerprint: String(repeating: "cd", count: 32), subject: "cam-2.example") == "cam-2")
        #expect(registry.deviceID(forCertificateFingerprint: String(repeating: "cd", count: 32), subject: "cam-9") == nil)

        try registry.setStatus(.suspended, for: "cam-2")
        #expect(registry.deviceID(forCertificateFingerprint: String(repeating: "cd", count: 32), subject: "cam-2.example") == nil)
    }

    @Test func sealingLookupReportsEffectiveStatus() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "node-1")
        let secret = Fixtures.distinctiveSecret(32, seed: 1)
        try registry.addSealingSecret(deviceID: "node-1", kid: [0x01], secret: secret, algorithm: 10)

        let match = try #require(registry.sealingSecret(forKid: [0x01]))
        #expect(match.deviceID == "node-1")
        #expect(match.secret == secret)
        #expect(match.algorithm == 10)
        #expect(match.status == .active)
        #expect(!String(describing: match).contains(secret.map { String(format: "%02x", $0) }.joined()))

        let rotation = try registry.rotateSealingSecret(deviceID: "node-1", grace: 600)
        let old = try #require(registry.sealingSecret(forKid: [0x01]))
        #expect(old.status == .retired)
        #expect(old.notAfter != nil)
        #expect(registry.sealingSecret(forKid: rotation.credential.kid!)?.status == .active)
        #expect(registry.sealingSecrets(forDevice: "node-1").map(\.kid) == [[0x01], rotation.credential.kid!])

        try registry.setStatus(.revoked, for: "node-1")
        #expect(registry.sealingSecrets(forDevice: "node-1").allSatisfy { $0.status == .revoked })
        #expect(registry.sealingSecret(forKid: [0x99]) == nil)
    }

    @Test func accessRulesDenyByDefaultAndMatchPatterns() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addDevice(id: "dev-2")
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/anything"))

        try registry.allow(deviceID: "dev-1", "POST /readings")
        try registry.allow(deviceID: "dev-1", "GET,PUT /state/{device}/*")
        try registry.allow(deviceID: nil, "GET /fw/**")
        try registry.deny(deviceID: "dev-2", "GET /fw/secret/**")

        #expect(registry.isAllowed(deviceID: "dev-1", method: "POST", path: "/readings"))
        #expect(registry.isAllowed(deviceID: "dev-1", method: "post", path: "readings"))
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/readings"))
        #expect(registry.isAllowed(deviceID: "dev-1", method: "PUT", path: "/state/dev-1/led"))
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "PUT", path: "/state/dev-2/led"))
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "PUT", path: "/state/dev-1/led/extra"))
        #expect(!registry.isAllowed(deviceID: "dev-2", method: "POST", path: "/readings"))
        #expect(registry.isAllowed(deviceID: "dev-2", method: "GET", path: "/fw/1.2/image"))
        #expect(!registry.isAllowed(deviceID: "dev-2", method: "GET", path: "/fw/secret/key"))
        #expect(!registry.isAllowed(deviceID: "ghost", method: "GET", path: "/fw/x"))

        try registry.setStatus(.suspended, for: "dev-1")
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "POST", path: "/readings"))
    }

    @Test func allowReplacesAnIdenticalDenyAndBack() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.allow(deviceID: "dev-1", "GET /a")
        #expect(registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/a"))
        try registry.deny(deviceID: "dev-1", "GET /a")
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/a"))
        #expect(try registry.rules(forDevice: "dev-1").count == 1)
        let rule = try registry.allow(deviceID: "dev-1", "GET /a")
        #expect(registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/a"))
        try registry.removeRule(rule.id)
        #expect(!registry.isAllowed(deviceID: "dev-1", method: "GET", path: "/a"))
    }

    @Test func deviceRecordAndLastSeen() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1", labels: ["site": "lab"], requireSealedReadings: false, isAdmin: true, firmwareVersion: "1.0.0")
        var device = try #require(registry.device("dev-1"))
        #expect(device.labels == ["site": "lab"])
        #expect(device.requireSealedReadings == false)
        #expect(device.isAdmin)
        #expect(device.firmwareVersion == "1.0.0")
        #expect(device.lastSeen == nil)

        let seen = Date()
        registry.recordSeen("dev-1", at: seen)
        registry.recordSeen("dev-1", at: seen.addingTimeInterval(-100))
        device = try #require(registry.device("dev-1"))
        #expect(device.lastSeen == seen)

        try registry.setFirmwareVersion("1.1.0", for: "dev-1")
        #expect(registry.device("dev-1")?.firmwareVersion == "1.1.0")
        let defaults = try registry.addDevice(id: "dev-2")
        #expect(defaults.requireSealedReadings && !defaults.isAdmin)
    }

    @Test func removingADeviceRemovesItsCredentialsAndRules() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "id-1", key: Fixtures.key(1))
        try registry.allow(deviceID: "dev-1", "GET /x")
        try registry.removeDevice("dev-1", reason: "decommissioned")
        #expect(registry.device("dev-1") == nil)
        #expect(registry.pskKey(forIdentity: "id-1") == nil)
        #expect(try registry.rules().isEmpty)
        // The identity is free again.
        try registry.addDevice(id: "dev-2")
        try registry.addPSK(deviceID: "dev-2", identity: "id-1", key: Fixtures.key(2))
        #expect(registry.pskKey(forIdentity: "id-1")?.deviceID == "dev-2")
    }

    @Test func onChangeNamesTheDevicesThatChanged() async throws {
        let directory = try TemporaryDirectory()
        let registry = try Fixtures.sqliteRegistry(in: directory)
        defer { registry.close() }
        let changes = TestLocked<[RegistryChange]>([])
        registry.onChange { change in changes.update { $0.append(change) } }

        try registry.addDevice(id: "dev-1")
        try registry.addDevice(id: "dev-2")
        try registry.setStatus(.suspended, for: "dev-2")
        #expect(await TestSupport.eventually(timeout: 5) { changes.get().count == 3 })
        #expect(changes.get().map(\.deviceIDs) == [["dev-1"], ["dev-2"], ["dev-2"]])

        try registry.allow(deviceID: nil, "GET /fw/**")
        #expect(await TestSupport.eventually(timeout: 5) { changes.get().count == 4 })
        #expect(changes.get().last?.deviceIDs == [])
    }
}
