import FuzzSupport
import SenML
import SenMLChecks

// SenML JSON (SenMLJSONReader.swift, SenMLPack+JSON.swift): readings a device posts as JSON, and
// every line a node reads from its input. Checks the round trips and resolution of SenMLChecks on
// every pack the strict reader accepts.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let pack = try? SenMLPack(json: input) else { return 0 }
    SenMLChecks.check(pack)
    // A limit on records is a bound, not a filter: with room for exactly this many, the same pack.
    invariant((try? SenMLPack(json: input, maxRecords: pack.records.count)) == pack, "maxRecords refuses a pack at the limit")
    return 0
}
