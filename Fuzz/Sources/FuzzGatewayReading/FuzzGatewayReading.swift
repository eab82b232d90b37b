import CoAP
import FuzzSupport
import Logging
import SenML
@testable import Gateway

// The gateway's reading parser (Sources/Gateway/Ingestion/ReadingParser.swift, internal: reached
// with @testable in this debug build): a device's SenML body, JSON or CBOR, becomes measurements
// under the device's name. The first byte picks the format (bit 0: JSON) and whether the device
// has an allow-list (bit 1); the rest is the body. Checks: every measurement is named under the
// device (its id, then `/` or `:`), passes the name rules, and is on the allow-list if there is one;
// no more measurements than records allowed.

let device = "dev-1"
let allowed: Set<String> = ["temp", "a/b", "door", "x"]
let maxRecords = 16

/// The parser as the gateway builds it; its refusals go to a monitor with a lockout threshold of 1,
/// so its per-device memory stays one event long whatever the fuzzer sends.
let parser: ReadingParser = {
    let monitor = SecurityMonitor(
        policy: .init(threshold: 1), directory: InMemoryDirectory(),
        logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
    return ReadingParser(maxRecords: maxRecords, refusals: Refusals(monitor: monitor))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let flags = input.first else { return 0 }
    let reading = PreparedReading(
        deviceID: device, body: Array(input.dropFirst()), format: flags & 1 == 1 ? .senmlJSON : .senmlCBOR,
        allowedNames: flags & 2 == 2 ? allowed : nil, payload: input, peer: nil)
    guard let measurements = try? parser.measurements(of: reading, now: 1_700_000_000) else { return 0 }
    invariant(measurements.count <= maxRecords, "more measurements than maxRecords")
    for m in measurements {
        invariant(m.name == device || m.name.hasPrefix(device + "/") || m.name.hasPrefix(device + ":"), "a measurement named outside the device: \(m.name)")
        invariant((try? SenMLPack.checkName(m.name)) != nil, "a measurement name that fails the name rules: \(m.name)")
        if reading.allowedNames != nil {
            invariant(allowed.contains(String(m.name.dropFirst(device.count + 1))), "a measurement not on the allow-list: \(m.name)")
        }
    }
    return 0
}
