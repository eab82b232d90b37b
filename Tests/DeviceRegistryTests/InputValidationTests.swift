import DeviceRegistry
import Foundation
import Testing

@Suite("Refusing bad input")
struct InputValidationTests {
    private func code(_ body: () throws -> Void) -> DeviceRegistryError.Code? {
        do {
            try body()
            return nil
        } catch let error as DeviceRegistryError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test(arguments: ["", "has space", "tab\there", "slash/inside", "nul\u{0}", String(repeating: "x", count: 65), "zero\u{200B}width"])
    func invalidDeviceIDsAreRefused(_ id: String) throws {
        let registry = try Fixtures.memoryRegistry()
        #expect(code { try registry.addDevice(id: id) } == .invalidArgument)
        #expect(try registry.devices().isEmpty)
    }

    @Test func printableIDsUpTo64BytesAreAccepted() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: String(repeating: "x", count: 64))
        try registry.addDevice(id: "urn:dev:ow:10e2073a01080063")
        try registry.addDevice(id: "capteur-é")
        #expect(try registry.devices().count == 3)
    }

    @Test func pskIdentitiesWithNULOrOver64BytesAreRefusedAtProvisioning() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "abc\u{0}def", key: [1]) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: String(repeating: "i", count: 65), key: [1]) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "", key: [1]) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "ok", key: []) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "ok", key: Array(repeating: 1, count: 65)) } == .invalidArgument)
        try registry.addPSK(deviceID: "dev-1", identity: String(repeating: "i", count: 64), key: Array(repeating: 1, count: 64))
        #expect(try registry.credentials(forDevice: "dev-1").count == 1)
    }

    @Test func duplicatesAreRefused() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addDevice(id: "dev-2")
        #expect(code { try registry.addDevice(id: "dev-1") } == .alreadyExists)
        try registry.addPSK(deviceID: "dev-1", identity: "shared", key: [1])
        #expect(code { try registry.addPSK(deviceID: "dev-2", identity: "shared", key: [2]) } == .alreadyExists)
        try registry.addSealingSecret(deviceID: "dev-1", kid: [7], secret: Array(repeating: 1, count: 32))
        #expect(code { try registry.addSealingSecret(deviceID: "dev-2", kid: [7], secret: Array(repeating: 2, count: 32)) } == .alreadyExists)
        let fingerprint = String(repeating: "0f", count: 32)
        try registry.addCertificate(deviceID: "dev-1", fingerprint: fingerprint)
        #expect(code { try registry.addCertificate(deviceID: "dev-2", fingerprint: fingerprint) } == .alreadyExists)
        #expect(registry.pskKey(forIdentity: "shared")?.deviceID == "dev-1")
        #expect(registry.sealingSecret(forKid: [7])?.deviceID == "dev-1")
    }

    @Test func sealingSecretsNeed32BytesAndAKnownAlgorithm() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        #expect(code { try registry.addSealingSecret(deviceID: "dev-1", kid: [1], secret: Array(repeating: 1, count: 16)) } == .invalidArgument)
        #expect(code { try registry.addSealingSecret(deviceID: "dev-1", kid: [1], secret: Array(repeating: 1, count: 32), algorithm: 11) } == .invalidArgument)
        #expect(code { try registry.addSealingSecret(deviceID: "dev-1", kid: [], secret: Array(repeating: 1, count: 32)) } == .invalidArgument)
        for algorithm in [10, 1, 3] {
            try registry.addSealingSecret(deviceID: "dev-1", kid: nil, secret: Array(repeating: UInt8(algorithm), count: 32), algorithm: algorithm)
        }
        #expect(registry.sealingSecrets(forDevice: "dev-1").map(\.algorithm) == [10, 1, 3])
        #expect(registry.sealingSecrets(forDevice: "dev-1").allSatisfy { $0.kid.count == 4 })
    }

    @Test func unknownDevicesAndCredentialsAreNotFound() throws {
        let registry = try Fixtures.memoryRegistry()
        #expect(code { try registry.setStatus(.suspended, for: "ghost") } == .notFound)
        #expect(code { try registry.addPSK(deviceID: "ghost", identity: "x", key: [1]) } == .notFound)
        #expect(code { try registry.removeCredential("0000000000000000") } == .notFound)
        #expect(code { try registry.removeRule("0000000000000000") } == .notFound)
        #expect(code { try registry.allow(deviceID: "ghost", "GET /x") } == .notFound)
    }

    @Test func provisioningIsAllOrNothing() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "taken", key: [1])

        var request = DeviceProvisioning(id: "dev-2")
        request.sealing = .init(kid: [0x22], secret: Array(repeating: 2, count: 32))
        request.allow = ["POST /readings"]
        request.psk = .init(identity: "taken", key: [2])
        #expect(code { try registry.provision(request) } == .alreadyExists)
        #expect(registry.device("dev-2") == nil)
        #expect(registry.sealingSecret(forKid: [0x22]) == nil)
        #expect(try registry.rules().isEmpty)

        request.psk = .init(identity: "free", key: [2])
        request.allow = ["POST /readings", "BREW /coffee"]
        #expect(code { try registry.provision(request) } == .invalidArgument)
        #expect(registry.device("dev-2") == nil)

        request.allow = ["POST /readings"]
        let provisioned = try registry.provision(request)
        #expect(provisioned.credentials.map(\.kind) == [.psk, .sealing])
        #expect(registry.pskKey(forIdentity: "free")?.deviceID == "dev-2")
        #expect(registry.isAllowed(deviceID: "dev-2", method: "POST", path: "/readings"))
    }

    @Test(arguments: ["readings", "/a//b", "/a/", "/x*y", "/a/**/b", "/{device}x", "/with space", "GET"])
    func malformedPathPatternsAreRefused(_ pattern: String) {
        #expect(throws: DeviceRegistryError.self) { try PathPattern(pattern) }
    }

    @Test(arguments: ["/readings", "GET /a b", "BREW /pot", " /x"])
    func malformedRuleSpecificationsAreRefused(_ text: String) {
        #expect(throws: DeviceRegistryError.self) { try AccessRule.parseSpecification(text) }
    }
}
