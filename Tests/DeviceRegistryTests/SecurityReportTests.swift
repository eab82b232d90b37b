import DeviceRegistry
import Foundation
import Testing

@Suite("Security report")
struct SecurityReportTests {
    @Test func aFreshWellProvisionedRegistryIsClean() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1", firmwareVersion: "1.0")
        try registry.addPSK(deviceID: "dev-1", identity: "dev-1", key: try DeviceRegistry.generatePSKKey())
        let report = try registry.securityReport()
        #expect(report.isClean, "\(report.findings)")
        #expect(report.deviceCount == 1)
    }

    @Test func findsEveryKindOfProblem() throws {
        let registry = try Fixtures.memoryRegistry()
        let shared: [UInt8] = Array(repeating: 0x33, count: 32)
        try registry.addDevice(id: "a", firmwareVersion: "1.9.0")
        try registry.addDevice(id: "b", firmwareVersion: "1.10.0")
        try registry.addDevice(id: "c")
        try registry.addPSK(deviceID: "a", identity: "a", key: shared)
        try registry.addPSK(deviceID: "b", identity: "b", key: shared)
        try registry.addPSK(deviceID: "c", identity: "c", key: Fixtures.key(1, 2, 3, 4))
        try registry.addSealingSecret(deviceID: "c", kid: [1], secret: Array(repeating: 1, count: 32), notAfter: Date().addingTimeInterval(3 * 86_400))
        try registry.addCertificate(deviceID: "a", fingerprint: String(repeating: "aa", count: 32), notAfter: Date().addingTimeInterval(-60))
        registry.recordSeen("b", at: Date())

        var options = SecurityReportOptions()
        options.now = Date().addingTimeInterval(100 * 86_400)
        options.minimumPSKKeyLength = 32
        let later = try registry.securityReport(options: options)
        // The registry takes no key under 16 bytes: a report asking for 32 finds c's 16 short.
        var strict = SecurityReportOptions()
        strict.minimumPSKKeyLength = 32
        let now = try registry.securityReport(options: strict)

        let kinds = Set(now.findings.map(\.kind))
        #expect(kinds.isSuperset(of: [.sharedPSK, .shortKey, .expired, .expiringSoon, .outdatedFirmware]))
        #expect(now.findings.first { $0.kind == .sharedPSK }?.deviceIDs == ["a", "b"])
        #expect(now.findings.first { $0.kind == .outdatedFirmware }?.deviceIDs == ["a"])
        #expect(now.findings.first { $0.kind == .shortKey }?.deviceIDs == ["c"])
        #expect(!kinds.contains(.notSeen) && !kinds.contains(.notRotated))

        let laterKinds = Set(later.findings.map(\.kind))
        #expect(laterKinds.contains(.notSeen) && laterKinds.contains(.notRotated))
        #expect(later.findings.filter { $0.kind == .notSeen }.flatMap(\.deviceIDs).sorted() == ["a", "b", "c"])

        // No finding shows a key.
        let text = now.findings.map(\.message).joined() + later.findings.map(\.message).joined()
        #expect(!text.contains("33333333"))
    }
}
