import DeviceRegistry
import Foundation
import Testing

@Suite("Refusing bad input")
struct InputValidationTests {
    /// A PSK key of the shortest accepted length, 16 bytes.
    private func key(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 16) }

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
        try registry.addDevice(id: "urn-dev-ow-10e2073a01080063")
        try registry.addDevice(id: "capteur-é")
        try registry.addDevice(id: "node_7.kitchen")
        try registry.addDevice(id: "...")
        #expect(try registry.devices().count == 5)
    }

    /// Ids go into paths (`/readings/{device}`) and queries, and a device's SenML names start with
    /// its id and `/` or `:`: an id that is a relative path segment, breaks a URI, is rule-pattern
    /// syntax, or holds a `:` (so that `a:b`'s names would be `a`'s too) is refused.
    @Test(arguments: [".", "..", "a:b", "urn:dev:ow:10e2073a01080063", "a?b", "a#b", "a&b", "a%41", "*", "{device}", "back\\slash"])
    func idsThatBreakPathsOrClaimAnotherDevicesNamesAreRefused(_ id: String) throws {
        let registry = try Fixtures.memoryRegistry()
        #expect(code { try registry.addDevice(id: id) } == .invalidArgument)
        var request = DeviceProvisioning(id: id)
        request.allow = ["POST /readings"]
        #expect(code { try registry.provision(request) } == .invalidArgument)
        #expect(try registry.devices().isEmpty)
    }

    @Test func pskIdentitiesWithNULOrOver64BytesAreRefusedAtProvisioning() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "abc\u{0}def", key: key(1)) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: String(repeating: "i", count: 65), key: key(1)) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "", key: key(1)) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "ok", key: []) } == .invalidArgument)
        #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "ok", key: Array(repeating: 1, count: 65)) } == .invalidArgument)
        try registry.addPSK(deviceID: "dev-1", identity: String(repeating: "i", count: 64), key: Array(repeating: 1, count: 64))
        #expect(try registry.credentials(forDevice: "dev-1").count == 1)
    }

    /// A TAB, a newline or any other control character, an invisible format character, whitespace
    /// other than a space, or a space at either end is refused: identities that look alike must be
    /// alike. Spaces inside and letters beyond ASCII are fine.
    @Test func pskIdentitiesAreVisibleTextWithoutStrayWhitespace() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        let refused = [
            "tab\there", "new\nline", "cr\r", "esc\u{1B}", "del\u{7F}", "c1\u{85}", "c1\u{9F}", "nbsp\u{A0}x", "line\u{2028}sep",
            "zero\u{200B}width", "rtl\u{202E}x", " leading", "trailing ", " ",
        ]
        for (i, identity) in refused.enumerated() {
            #expect(code { try registry.addPSK(deviceID: "dev-1", identity: identity, key: key(1)) } == .invalidArgument, "\(identity.debugDescription)")
            #expect(code { _ = try registry.rotatePSK(deviceID: "dev-1", identity: identity) } == .invalidArgument, "\(identity.debugDescription)")
            var request = DeviceProvisioning(id: "dev-\(i + 2)")
            request.psk = .init(identity: identity, key: key(2))
            #expect(code { try registry.provision(request) } == .invalidArgument, "\(identity.debugDescription)")
        }
        #expect(try registry.credentials(forDevice: "dev-1").isEmpty)
        #expect(try registry.devices().count == 1)
        for (i, identity) in ["two words", "capteur-é", "dev-1.2", "Client_identifier"].enumerated() {
            try registry.addPSK(deviceID: "dev-1", identity: identity, key: key(UInt8(i)))
        }
        #expect(try registry.credentials(forDevice: "dev-1").count == 4)
    }

    /// RFC 9257 §6: a PSK is at least 128 bits long.
    @Test func pskKeysShorterThan16BytesAreRefused() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        for count in [1, 8, 15] {
            #expect(code { try registry.addPSK(deviceID: "dev-1", identity: "id-\(count)", key: Array(repeating: 7, count: count)) } == .invalidArgument)
            #expect(code { _ = try registry.rotatePSK(deviceID: "dev-1", key: Array(repeating: 7, count: count)) } == .invalidArgument)
            #expect(code { _ = try DeviceRegistry.generatePSKKey(length: count) } == .invalidArgument)
            var request = DeviceProvisioning(id: "dev-\(count)")
            request.psk = .init(identity: "p-\(count)", key: Array(repeating: 7, count: count))
            #expect(code { try registry.provision(request) } == .invalidArgument)
        }
        #expect(try registry.credentials(forDevice: "dev-1").isEmpty)
        try registry.addPSK(deviceID: "dev-1", identity: "id-16", key: key(7))
        #expect(try DeviceRegistry.generatePSKKey().count == 16)
        #expect(registry.pskKey(forIdentity: "id-16")?.key == key(7))
    }

    @Test func duplicatesAreRefused() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addDevice(id: "dev-2")
        #expect(code { try registry.addDevice(id: "dev-1") } == .alreadyExists)
        try registry.addPSK(deviceID: "dev-1", identity: "shared", key: key(1))
        #expect(code { try registry.addPSK(deviceID: "dev-2", identity: "shared", key: key(2)) } == .alreadyExists)
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
        #expect(code { try registry.addPSK(deviceID: "ghost", identity: "x", key: key(1)) } == .notFound)
        #expect(code { try registry.removeCredential("0000000000000000") } == .notFound)
        #expect(code { try registry.removeRule("0000000000000000") } == .notFound)
        #expect(code { try registry.allow(deviceID: "ghost", "GET /x") } == .notFound)
    }

    @Test func provisioningIsAllOrNothing() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "taken", key: key(1))

        var request = DeviceProvisioning(id: "dev-2")
        request.sealing = .init(kid: [0x22], secret: Array(repeating: 2, count: 32))
        request.allow = ["POST /readings"]
        request.psk = .init(identity: "taken", key: key(2))
        #expect(code { try registry.provision(request) } == .alreadyExists)
        #expect(registry.device("dev-2") == nil)
        #expect(registry.sealingSecret(forKid: [0x22]) == nil)
        #expect(try registry.rules().isEmpty)

        request.psk = .init(identity: "free", key: key(2))
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
