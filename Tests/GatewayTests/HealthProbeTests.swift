import Foundation
@testable import Gateway
import LibCrypto
import SenML
import Testing

/// `GET /health`'s store check: made at most once per interval, off the caller's thread, and a
/// store that stops being readable shows at the next check.
@Suite struct HealthProbeTests {
    @Test func aStoreThatCannotBeReadShowsAtTheNextCheck() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/readings.db"
        let store = try ReadingsStore(path: path, masterKey: try SecureBytes.random(count: 32))
        try store.append(device: "node-1", time: 1, measurements: [SenMLMeasurement(name: "node-1/t", value: 1, time: 1)])
        let probe = HealthProbe(store: store)
        #expect(probe.storeReadable())

        // The file removed under the running store. A pooled reader already open does not notice.
        #expect(try store.total() == 1)
        try FileManager.default.removeItem(atPath: path)
        #expect(try store.total() == 1, "the pooled reader reads the removed file")
        #expect(probe.storeReadable(), "within the interval, the last check stands")
        try await Task.sleep(for: HealthProbe.interval + .milliseconds(100))
        // The first request after the interval starts a check off the caller's thread; a later
        // one sees its result.
        var readable = true
        for _ in 0..<100 where readable {
            readable = probe.storeReadable()
            if readable { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(!readable, "the removed store shows as unreadable")
    }
}
