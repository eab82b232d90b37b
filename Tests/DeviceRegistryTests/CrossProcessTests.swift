import DeviceRegistry
import Foundation
import Testing
import TestSupport

/// Several writers and readers on one database file: other processes (the CLI) and other
/// registry instances.
@Suite("Changes across processes")
struct CrossProcessTests {
    @Test func aChangeByAnotherInstanceReachesTheCacheAndHandlers() async throws {
        let directory = try TemporaryDirectory()
        let writer = try Fixtures.sqliteRegistry(in: directory, watch: false)
        let reader = try Fixtures.sqliteRegistry(in: directory, pollInterval: 0.25)
        defer {
            writer.close()
            reader.close()
        }
        let changes = TestLocked<[Set<String>]>([])
        reader.onChange { change in changes.update { $0.append(change.deviceIDs) } }

        try writer.addDevice(id: "dev-1")
        try writer.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.key(1, 2, 3))
        #expect(await TestSupport.eventually(timeout: 5) { reader.pskKey(forIdentity: "dev-1") != nil })

        try writer.setStatus(.suspended, for: "dev-1")
        #expect(await TestSupport.eventually(timeout: 5) { reader.pskKey(forIdentity: "dev-1") == nil })
        #expect(await TestSupport.eventually(timeout: 5) { changes.get().last == ["dev-1"] })
        #expect(changes.get().allSatisfy { $0 == ["dev-1"] })
    }

    @Test func aSuspensionByTheCLIReachesARunningGatewaysRegistry() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let gateway = try Fixtures.sqliteRegistry(in: directory, pollInterval: 0.25)
        defer { gateway.close() }
        try gateway.addDevice(id: "dev-1")
        try gateway.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.key(7))
        try gateway.allow(deviceID: "dev-1", "POST /readings")
        let suspended = TestLocked<Bool>(false)
        gateway.onChange { [weak gateway] change in
            if change.deviceIDs.contains("dev-1") && gateway?.device("dev-1")?.status == .suspended { suspended.update { $0 = true } }
        }

        let result = try await ChildProcess.run(try ChildProcess.registryTool(), ["suspend", "dev-1", "--db", database])
        #expect(result.status == 0, "\(result)")
        #expect(await TestSupport.eventually(timeout: 5) { suspended.get() })
        #expect(gateway.pskKey(forIdentity: "dev-1") == nil)
        #expect(!gateway.isAllowed(deviceID: "dev-1", method: "POST", path: "/readings"))
    }

    @Test func processesWritingAndReadingAtOnceLoseNothing() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.file("registry.db")
        let local = try Fixtures.sqliteRegistry(in: directory, pollInterval: 0.1)
        defer { local.close() }
        let tool = try ChildProcess.registryTool()

        // Six CLI processes add devices while this process adds its own and keeps reading.
        let children = try (0..<6).map { index in
            try ChildProcess.start(tool, ["add", "cli-\(index)", "--db", database, "--generate-psk", "--allow", "POST /readings", "--busy-timeout", "30"])
        }
        for index in 0..<6 {
            try local.addDevice(id: "local-\(index)")
            try local.addPSK(deviceID: "local-\(index)", identity: "local-\(index)", key: Fixtures.key(UInt8(index + 1)))
            _ = try local.devices()
            _ = local.pskKey(forIdentity: "cli-\(index)")
        }
        for child in children {
            let result = await child.wait(timeout: 120)
            #expect(result.status == 0, "\(result)")
        }
        #expect(await TestSupport.eventually(timeout: 5) { (0..<6).allSatisfy { local.pskKey(forIdentity: "cli-\($0)") != nil } })
        #expect(try local.devices().count == 12)
        let entries = try local.auditEntries()
        #expect(entries.map(\.sequence) == Array(1...Int64(entries.count)))
        // Each CLI add: device, credential, rule; each local add: device, credential; plus init.
        let expected = 31  // 1 + 6 × 3 + 6 × 2
        #expect(entries.count == expected)
        #expect(try local.verifyAuditLog().isIntact)
    }

    @Test func lastSeenTimesAreWrittenInBatches() async throws {
        let directory = try TemporaryDirectory()
        var configuration = DeviceRegistryConfiguration()
        configuration.changePollInterval = 0.05
        configuration.lastSeenFlushInterval = 0.1
        let database = directory.file("registry.db")
        try DeviceRegistry.createMasterKey(at: database + ".master-key")
        let gateway = try DeviceRegistry(databasePath: database, masterKeyFile: database + ".master-key", configuration: configuration)
        try gateway.addDevice(id: "dev-1")
        let seen = Date().addingTimeInterval(-5)
        gateway.recordSeen("dev-1", at: seen)
        let other = try Fixtures.sqliteRegistry(in: directory, watch: false)
        defer {
            gateway.close()
            other.close()
        }
        #expect(try await TestSupport.eventually(timeout: 5) { try other.storedDevice("dev-1").lastSeen != nil })
        let stored = try #require(try other.storedDevice("dev-1").lastSeen)
        #expect(abs(stored.timeIntervalSince(seen)) < 0.01)
        // A last-seen write is not an audited change.
        #expect(try other.auditEntries().allSatisfy { $0.action != .deviceUpdated })
    }
}
