import DeviceRegistry
import Foundation
import FuzzSupport

// Registry import (DeviceRegistry.importJSON, Sources/DeviceRegistry/Transfer/): an export file,
// possibly from elsewhere, fed to `coap-registry import`. Imports go into a real (SQLite, on disk)
// registry in a temporary directory made once per process, under a fixed test master key, so
// seeds exported under that key get past the key check into validation and the database.
// Checks: what an import reports is what the registry then holds; the registry's own export of it
// imports into an empty registry with the same summary (export → import round trip).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(fuzzBytes(data, size))
    let registry = FuzzRegistry.shared.current
    guard let summary = try? registry.importJSON(input) else { return 0 }
    do {
        let devices = try registry.devices().count, rules = try registry.rules().count
        invariant(devices == summary.devices, "the import reports \(summary.devices) devices, the registry holds \(devices)")
        invariant(rules == summary.rules, "the import reports \(summary.rules) rules, the registry holds \(rules)")
        let exported = try registry.exportJSON()
        let again = try FuzzRegistry.shared.fresh().importJSON(exported)
        invariant(again == summary, "re-importing the registry's export gives another summary")
        // Every input starts from an empty registry, so success does not depend on earlier inputs.
        _ = try FuzzRegistry.shared.fresh()
    } catch { unexpected(error, "after a successful import") }
    return 0
}
