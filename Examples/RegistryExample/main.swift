// The DeviceRegistry library in one page: a registry in a temporary directory (SQLite and a master
// key file, as `coap-registry init` makes them), a device with a DTLS PSK, a sealing secret and an
// access rule, the lookups a gateway makes, a suspension that makes them fail, and the audit log
// with its hash chain verified.
//
//     swift run registry-example
//
// Secrets are generated here and never printed; in the store they are encrypted under the master key.

import DeviceRegistry
import Foundation

func runExample() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("registry-example-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }

    // 1. The master key (32 random bytes in a 0600 file) and the database that is bound to it.
    let database = directory + "/registry.db"
    try DeviceRegistry.createMasterKey(at: database + ".master-key")
    let registry = try DeviceRegistry(databasePath: database)  // the key file is found beside it
    defer { registry.close() }
    print("registry \(database)")

    // 2. A device and its credentials: a PSK for DTLS, a sealing secret (a new random kid, since
    //    none is given) and the right to POST readings.
    try registry.addDevice(id: "sensor-42", labels: ["site": "greenhouse-3"])
    try registry.addPSK(deviceID: "sensor-42", identity: "sensor-42", key: DeviceRegistry.generatePSKKey())
    let sealing = try registry.addSealingSecret(deviceID: "sensor-42", kid: nil, secret: DeviceRegistry.generateSealingSecret())
    try registry.allow(deviceID: "sensor-42", "POST /readings")
    for credential in try registry.credentials(forDevice: "sensor-42") {
        print("  credential \(credential.id): \(credential.kind) \(credential.label), \(credential.status)")
    }

    // 3. What a gateway asks, on every handshake and request: answered from memory, no I/O.
    func lookups() {
        let key = registry.pskKey(forIdentity: "sensor-42")
        let kid = registry.sealingSecret(forKid: sealing.kid ?? [])
        print("  PSK for identity sensor-42: \(key.map { "\($0.key.count)-byte key of \($0.deviceID)" } ?? "refused")")
        print("  sealing secret for kid \(sealing.kidHex ?? "?"): \(kid.map { "\($0.deviceID)'s, effective status \($0.status)" } ?? "unknown")")
        print("  may POST /readings: \(registry.isAllowed(deviceID: "sensor-42", method: "POST", path: "/readings"))")
        print("  may GET /security:  \(registry.isAllowed(deviceID: "sensor-42", method: "GET", path: "/security"))")
    }
    print("\nsensor-42 active:")
    lookups()

    // 4. Suspended: every lookup fails at once (a gateway hears of it through `onChange`).
    try registry.setStatus(.suspended, for: "sensor-42", reason: "lost in the field")
    print("\nsensor-42 \(try registry.storedDevice("sensor-42").status):")
    lookups()

    // 5. The audit log: every change, who made it, chained by an HMAC under a key derived from the
    //    master key, so an edited, inserted or deleted entry is found.
    print("\naudit log:")
    for entry in try registry.auditEntries() {
        print("  \(entry.sequence)  \(entry.action)  \(entry.deviceID ?? "-")  \(entry.detail)")
    }
    let verification = try registry.verifyAuditLog()
    print(verification.isIntact
        ? "audit log intact: \(verification.entryCount) entries, chain verified"
        : "audit log damaged: \(verification.problems)")
}

try runExample()
