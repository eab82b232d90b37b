import ArgumentParser
import DeviceRegistry

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Security report: shared or short PSKs, expired credentials, silent devices, old firmware, unrotated keys.",
        discussion: "Exits 1 when anything is found, 0 when the registry is clean.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(name: .customLong("min-key-bytes"), help: "Report PSK keys shorter than this.") var minimumKeyBytes = 16
    @Option(name: .customLong("expiry-days"), help: "Report credentials ending within this many days.") var expiryDays: Double = 14
    @Option(name: .customLong("not-seen-days"), help: "Report active devices not seen for this many days.") var notSeenDays: Double = 30
    @Option(name: .customLong("rotation-days"), help: "Report keys not rotated for this many days.") var rotationDays: Double = 90

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            var options = SecurityReportOptions()
            options.minimumPSKKeyLength = minimumKeyBytes
            options.expiryWarningDays = expiryDays
            options.notSeenDays = notSeenDays
            options.rotationDays = rotationDays
            let report = try registry.securityReport(options: options)
            if json {
                try CLI.printJSON(report)
            } else if report.isClean {
                print("no findings (\(report.deviceCount) devices)")
            } else {
                print("\(report.findings.count) findings (\(report.deviceCount) devices):")
                for finding in report.findings { print("  \(finding.kind): \(finding.message)") }
            }
            if !report.isClean { throw ExitCode(CLI.refusedStatus) }
        }
    }
}
