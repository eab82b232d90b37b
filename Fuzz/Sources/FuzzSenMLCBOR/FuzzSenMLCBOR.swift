import CBOR
import FuzzSupport
import SenML
import SenMLChecks

// SenML CBOR (SenMLPack+CBOR.swift, SenMLPack+DirectCBOR.swift): the gateway decodes every
// reading with it. Checks, besides the round trips of SenMLChecks:
// - the direct decoder (no CBOR tree) and the tree decoder agree: the same bytes with the outer
//   array made indefinite-length, which the direct path always hands to the tree, decode to the
//   same pack or fail alike;
// - the stored-measurement reader (`measurements(cbor:)`) round-trips what it accepts.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let pack = try? SenMLPack(cbor: input)

    if let tree = treeForm(of: input) {
        let viaTree = try? SenMLPack(cbor: tree)
        invariant(viaTree == pack, "the direct and the tree decoders disagree (direct \(pack == nil ? "refuses" : "accepts"))")
    }
    if let pack { SenMLChecks.check(pack) }

    if let measurements = try? SenMLPack.measurements(cbor: input) {
        invariant((try? SenMLPack.measurements(cbor: SenMLPack.cbor(measurements))) == measurements,
                  "stored measurements do not round-trip")
    }
    return 0
}

/// The input's top-level array rewritten as an indefinite-length array of the same items, which
/// `directRecords` always declines (so `init(cbor:)` decodes it through the tree); nil when the
/// input is not a well-formed CBOR array.
func treeForm(of input: [UInt8]) -> [UInt8]? {
    guard case .array(let items)? = try? CBOR(decoding: input) else { return nil }
    var bytes: [UInt8] = [0x9F]
    for item in items { item.encode(into: &bytes) }
    bytes.append(0xFF)
    return bytes
}
