import Foundation
internal import LibCrypto

/// Computes and checks the audit log's HMAC chain.
///
/// An entry's code is HMAC-SHA256 (key: derived from the master key) over
/// `"securecoap-audit/1" ‖ u64 sequence ‖ i64 time in ms ‖ field(action) ‖ field(device id or
/// absent) ‖ field(actor) ‖ field(detail) ‖ previous code`, each field a u32 length and UTF-8
/// bytes (the device id preceded by 0 when absent, 1 when present). The store also keeps a head
/// record, `"<last sequence> <hex HMAC over the last sequence and code>"`, so deleting entries at
/// the end is detected too.
enum AuditChain {
    static let genesis = [UInt8](repeating: 0, count: 32)
    static let headKey = "audit_head"

    static func code(
        sequence: Int64, time: Date, action: AuditAction, deviceID: String?, actor: String, detail: String,
        previousCode: [UInt8], key: SecureBytes
    ) throws -> [UInt8] {
        var message = Array("securecoap-audit/1".utf8)
        append(UInt64(bitPattern: sequence), to: &message)
        append(UInt64(bitPattern: time.millisecondsSince1970), to: &message)
        appendField(action.name, to: &message)
        if let deviceID {
            message.append(1)
            appendField(deviceID, to: &message)
        } else {
            message.append(0)
        }
        appendField(actor, to: &message)
        appendField(detail, to: &message)
        message += previousCode
        do {
            return try HMACSHA256.authenticationCode(for: message, key: key)
        } catch {
            throw DeviceRegistryError(.storage, "cannot compute an audit code: \(error)")
        }
    }

    /// The next entry after `last` (nil: the first entry).
    static func entry(
        after last: AuditEntry?, time: Date, action: AuditAction, deviceID: String?, actor: String, detail: String,
        key: SecureBytes
    ) throws -> AuditEntry {
        let sequence = (last?.sequence ?? 0) + 1
        let previous = last?.authenticationCode ?? genesis
        let time = time.roundedToMilliseconds
        let code = try code(
            sequence: sequence, time: time, action: action, deviceID: deviceID, actor: actor, detail: detail,
            previousCode: previous, key: key)
        return AuditEntry(
            sequence: sequence, time: time, action: action, deviceID: deviceID, actor: actor, detail: detail,
            previousCode: previous, authenticationCode: code)
    }

    /// The head record naming `entry` as the last one.
    static func head(for entry: AuditEntry, key: SecureBytes) throws -> String {
        "\(entry.sequence) \(Hex.encode(try headCode(sequence: entry.sequence, lastCode: entry.authenticationCode, key: key)))"
    }

    private static func headCode(sequence: Int64, lastCode: [UInt8], key: SecureBytes) throws -> [UInt8] {
        var message = Array("securecoap-audit-head/1".utf8)
        append(UInt64(bitPattern: sequence), to: &message)
        message += lastCode
        do {
            return try HMACSHA256.authenticationCode(for: message, key: key)
        } catch {
            throw DeviceRegistryError(.storage, "cannot compute the audit head code: \(error)")
        }
    }

    /// Checks `entries` (in sequence order) and the head record.
    static func verify(entries: [AuditEntry], head: String?, key: SecureBytes) throws -> AuditVerification {
        var problems: [AuditVerification.Problem] = []
        var expected: Int64 = 1
        var previous = genesis
        for entry in entries {
            var gap = false
            if entry.sequence > expected {
                gap = true
                let message = entry.sequence - expected == 1
                    ? "missing: the entry was deleted"
                    : "missing, up to entry \(entry.sequence - 1): \(entry.sequence - expected) entries were deleted"
                problems.append(.init(sequence: expected, message: message))
            } else if entry.sequence < expected {
                problems.append(.init(sequence: entry.sequence, message: "out of order: the entry was inserted"))
            }
            let recomputed = try code(
                sequence: entry.sequence, time: entry.time, action: entry.action, deviceID: entry.deviceID,
                actor: entry.actor, detail: entry.detail, previousCode: entry.previousCode, key: key)
            if !constantTimeEqual(recomputed, entry.authenticationCode) {
                problems.append(.init(
                    sequence: entry.sequence,
                    message: "not authentic: the entry was edited, or inserted by someone without the master key"))
            } else if !gap && entry.previousCode != previous {
                problems.append(.init(
                    sequence: entry.sequence,
                    message: "does not follow entry \(entry.sequence - 1): the entry before it was replaced"))
            }
            previous = entry.authenticationCode
            expected = max(expected, entry.sequence + 1)
        }
        let last = entries.last
        guard let head else {
            if let last {
                problems.append(.init(sequence: last.sequence, message: "the log's head record is missing: it was deleted"))
            } else {
                problems.append(.init(sequence: 1, message: "the log is empty and has no head record: every entry was deleted"))
            }
            return AuditVerification(entryCount: entries.count, problems: problems)
        }
        let parts = head.split(separator: " ")
        guard parts.count == 2, let headSequence = Int64(parts[0]), let headCode = try? Hex.decode(parts[1]) else {
            problems.append(.init(sequence: last?.sequence ?? 0, message: "the log's head record is malformed: it was edited"))
            return AuditVerification(entryCount: entries.count, problems: problems)
        }
        let lastSequence = last?.sequence ?? 0
        if headSequence > lastSequence {
            let message = headSequence - lastSequence == 1
                ? "missing: the last entry was deleted"
                : "missing, up to entry \(headSequence): the last \(headSequence - lastSequence) entries were deleted"
            problems.append(.init(sequence: lastSequence + 1, message: message))
        } else if let last {
            let expectedHead = try self.headCode(sequence: headSequence, lastCode: headSequence == last.sequence
                ? last.authenticationCode
                : entries.first(where: { $0.sequence == headSequence })?.authenticationCode ?? [], key: key)
            if !constantTimeEqual(expectedHead, headCode) {
                problems.append(.init(sequence: headSequence, message: "the log's head record does not match this entry: it was edited"))
            } else if headSequence < lastSequence {
                problems.append(.init(
                    sequence: headSequence + 1,
                    message: "appended after the recorded end of the log, by someone without the master key"))
            }
        }
        return AuditVerification(entryCount: entries.count, problems: problems)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    private static func append(_ value: UInt64, to message: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func appendField(_ text: String, to message: inout [UInt8]) {
        let bytes = Array(text.utf8)
        let count = UInt32(truncatingIfNeeded: bytes.count)
        for shift in stride(from: 24, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: count >> UInt32(shift))) }
        message += bytes
    }
}
