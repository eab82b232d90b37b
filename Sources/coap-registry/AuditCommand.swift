import ArgumentParser
import DeviceRegistry
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify the audit log.",
        discussion: "`audit --verify` (or `audit verify`) checks the hash chain and names every edited, inserted or deleted entry.",
        subcommands: [AuditListCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: AuditListCommand.self)
}

struct AuditListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Print audit entries.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Only entries since this time (2025-01-31, 2025-01-31T12:00:00Z, or 30m, 24h, 7d ago).") var since: String?
    @Option(help: "Only entries about this device.") var device: String?
    @Flag(help: "Verify the chain instead of listing (same as `audit verify`).") var verify = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if verify { return try verifyAuditLog(store: store, json: json) }
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let since = try self.since.map { try CLI.parseTime($0, option: "--since") }
            let entries = try registry.auditEntries(since: since).filter { device == nil || $0.deviceID == device }
            if json { return try CLI.printJSON(entries) }
            CLI.printTable(
                ["SEQ", "TIME", "ACTION", "DEVICE", "ACTOR", "DETAIL"],
                entries.map {
                    ["\($0.sequence)", CLI.format($0.time), $0.action.name, $0.deviceID ?? "-", $0.actor, $0.detail]
                })
        }
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the audit log's hash chain.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
    func run() throws { try verifyAuditLog(store: store, json: json) }
}

private struct VerificationOutput: Encodable {
    struct Problem: Encodable {
        var sequence: Int64
        var message: String
    }
    var intact: Bool
    var entries: Int
    var problems: [Problem]
}

private func verifyAuditLog(store: StoreOptions, json: Bool) throws {
    try CLI.run {
        let registry = try store.open()
        defer { registry.close() }
        let result = try registry.verifyAuditLog()
        if json {
            try CLI.printJSON(VerificationOutput(
                intact: result.isIntact, entries: result.entryCount,
                problems: result.problems.map { .init(sequence: $0.sequence, message: $0.message) }))
        } else if result.isIntact {
            print("audit log intact: \(result.entryCount) entries, chain verified")
        } else {
            print("audit log TAMPERED: \(result.problems.count) problems in \(result.entryCount) entries")
            for problem in result.problems { print("  \(problem)") }
        }
        if !result.isIntact {
            throw CLIFailure("the audit log was tampered with: \(result.problems.map(\.description).joined(separator: "; "))")
        }
    }
}
