import DeviceRegistry
import Foundation
import Testing
import TestSupport

@Suite("Audit log")
struct AuditLogTests {
    /// A registry with a few audited changes, closed; returns the database path.
    private func populatedDatabase(in directory: TemporaryDirectory) throws -> String {
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        try registry.addDevice(id: "dev-1")                                     // 2
        try registry.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.key(1, 2))  // 3
        try registry.setStatus(.suspended, for: "dev-1", reason: "stolen")      // 4
        try registry.setStatus(.active, for: "dev-1")                           // 5
        try registry.allow(deviceID: "dev-1", "POST /readings")                 // 6
        registry.close()
        return directory.file("registry.db")
    }

    private func verify(_ directory: TemporaryDirectory) throws -> AuditVerification {
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        defer { registry.close() }
        return try registry.verifyAuditLog()
    }

    @Test func everyChangeIsRecordedInOrder() throws {
        let registry = try Fixtures.memoryRegistry()
        try registry.addDevice(id: "dev-1")
        try registry.addPSK(deviceID: "dev-1", identity: "dev-1", key: Fixtures.key(1))
        _ = try registry.rotatePSK(deviceID: "dev-1", grace: 0)
        try registry.setStatus(.suspended, for: "dev-1")
        try registry.setStatus(.active, for: "dev-1")
        try registry.setStatus(.revoked, for: "dev-1", reason: "lost")
        try registry.allow(deviceID: "dev-1", "GET /x")
        _ = try registry.revealSecrets(deviceID: "dev-1")
        registry.recordSecurityEvent(SecurityEvent(kind: .handshakeFailure, identity: "intruder", address: "192.0.2.1:5684", detail: "unknown identity"))
        registry.recordSecurityEvent(SecurityEvent(kind: .replay, deviceID: "dev-1", detail: "kid 01 seq 7"))
        registry.recordSecurityEvent(SecurityEvent(kind: .accessDenied, deviceID: "dev-1", detail: "DELETE /fw"))

        let entries = try registry.auditEntries()
        #expect(entries.map(\.action) == [
            .registryInitialized, .deviceAdded, .credentialAdded, .credentialRotated, .deviceSuspended, .deviceResumed,
            .deviceRevoked, .ruleAdded, .secretsRevealed, .handshakeFailure, .replay, .accessDenied,
        ])
        #expect(entries.map(\.sequence) == Array(1...12))
        #expect(entries[6].detail.contains("lost"))
        #expect(entries[9].detail.contains("intruder") && entries[9].detail.contains("192.0.2.1:5684"))
        #expect(try registry.verifyAuditLog().isIntact)
        #expect(try registry.auditEntries(since: Date().addingTimeInterval(3600)).isEmpty)
    }

    @Test func anIntactLogVerifies() throws {
        let directory = try TemporaryDirectory()
        _ = try populatedDatabase(in: directory)
        let result = try verify(directory)
        #expect(result.isIntact)
        #expect(result.entryCount == 6)
    }

    @Test func theLogRefusesPlainUpdatesAndDeletes() async throws {
        let directory = try TemporaryDirectory()
        let database = try populatedDatabase(in: directory)
        let result = try await ChildProcess.run(try ChildProcess.sqliteShell(), [database, "UPDATE audit_log SET detail = 'nothing happened' WHERE sequence = 4"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("append-only"))
        #expect(try verify(directory).isIntact)
    }

    @Test func anEditedEntryIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let database = try populatedDatabase(in: directory)
        _ = try await ChildProcess.sqlite(database, """
            DROP TRIGGER audit_log_no_update;
            UPDATE audit_log SET detail = 'active → suspended; reason: routine' WHERE sequence = 4;
            """)
        let result = try verify(directory)
        #expect(!result.isIntact)
        #expect(result.problems.map(\.sequence) == [4])
        #expect(result.problems[0].message.contains("edited"))
    }

    @Test func aDeletedEntryIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let database = try populatedDatabase(in: directory)
        _ = try await ChildProcess.sqlite(database, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE sequence = 4;")
        let result = try verify(directory)
        #expect(result.problems.map(\.sequence) == [4])
        #expect(result.problems[0].message.contains("deleted"))
    }

    @Test func deletedEntriesAtTheEndAreNamed() async throws {
        let directory = try TemporaryDirectory()
        let database = try populatedDatabase(in: directory)
        _ = try await ChildProcess.sqlite(database, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE sequence >= 5;")
        let result = try verify(directory)
        #expect(result.problems.map(\.sequence) == [5])
        #expect(result.problems[0].message.contains("deleted"))
    }

    @Test func anInsertedEntryIsNamed() async throws {
        let directory = try TemporaryDirectory()
        let database = try populatedDatabase(in: directory)
        // A forged entry copied from a genuine one, with the next sequence number and the head moved.
        _ = try await ChildProcess.sqlite(database, """
            INSERT INTO audit_log (sequence, time, action, device_id, actor, detail, previous_code, code)
            SELECT 7, time, 'device.resume', device_id, actor, 'all fine', code, code FROM audit_log WHERE sequence = 6;
            UPDATE registry_meta SET value = '7' || substr(value, instr(value, ' ')) WHERE key = 'audit_head';
            """)
        let result = try verify(directory)
        #expect(result.problems.map(\.sequence).contains(7))
        #expect(result.problems.first { $0.sequence == 7 }?.message.contains("inserted") == true)
    }

    @Test func theRegistryKeepsWorkingAndAppendingAfterVerification() throws {
        let directory = try TemporaryDirectory()
        _ = try populatedDatabase(in: directory)
        let registry = try Fixtures.sqliteRegistry(in: directory, watch: false)
        try registry.addDevice(id: "dev-2")
        #expect(try registry.verifyAuditLog().entryCount == 7)
        #expect(try registry.verifyAuditLog().isIntact)
        registry.close()
    }

    @Test func securityEventsAreWrittenByTheBackgroundThread() async throws {
        let directory = try TemporaryDirectory()
        let registry = try Fixtures.sqliteRegistry(in: directory, pollInterval: 0.05)
        defer { registry.close() }
        registry.recordSecurityEvent(SecurityEvent(kind: .handshakeFailure, identity: "bad\u{1}id", address: "198.51.100.7:40000"))
        #expect(try await TestSupport.eventually(timeout: 5) { try registry.auditEntries().contains { $0.action == .handshakeFailure } })
        let entry = try #require(try registry.auditEntries().last)
        #expect(entry.detail.contains("198.51.100.7:40000"))
        #expect(entry.detail.contains("bad\\x1id"))
        #expect(try registry.verifyAuditLog().isIntact)
    }
}
