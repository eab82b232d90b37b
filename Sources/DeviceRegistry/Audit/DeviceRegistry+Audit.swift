public import Foundation

extension DeviceRegistry {
    /// Audit entries in order, optionally only those at or after `since`.
    public func auditEntries(since: Date? = nil) throws -> [AuditEntry] {
        try store.read { try $0.auditEntries(since: since) }
    }

    /// Checks the audit log's chain from the first entry to the recorded head: reports every
    /// edited, inserted or deleted entry (see ``AuditVerification``). Also writes security events
    /// still waiting, so they are covered.
    public func verifyAuditLog() throws -> AuditVerification {
        flushNow()
        let (entries, head) = try store.read { transaction in
            (try transaction.auditEntries(since: nil), try transaction.metadata(AuditChain.headKey))
        }
        return try AuditChain.verify(entries: entries, head: head, key: key.auditKey)
    }
}
