import FuzzSupport
import Node
import SenML

// A node's input lines (Sources/Node/ReadingParser.swift): `coap-node report` reads readings from
// standard input or a pipe, as `name=value[,unit]` pairs or a SenML JSON array. Checks: a pair
// gives a record with a valid name and exactly one value; the records survive the SenML JSON and
// CBOR encodings the node sends them in.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = fuzzText(data, size)
    guard let records = try? ReadingParser.parseLine(line) else { return 0 }
    let isJSON = line.drop { $0 == " " || $0 == "\t" }.first == "["
    if !isJSON {
        for r in records {
            invariant(r.name.map(SenMLPack.isValidName) == true, "a pair gave an invalid name")
            invariant(r.valueFieldCount == 1, "a pair gave \(r.valueFieldCount) values")
            invariant(r.value?.isFinite ?? true, "a pair gave a number that is not finite")
        }
    }
    let pack = SenMLPack(records)
    invariant((try? SenMLPack(json: pack.json(), maxRecords: .max)) == pack, "the line's records do not survive SenML JSON")
    invariant((try? SenMLPack(cbor: pack.cbor(), maxRecords: .max)) == pack, "the line's records do not survive SenML CBOR")
    return 0
}

extension SenMLRecord {
    var valueFieldCount: Int {
        (value == nil ? 0 : 1) + (stringValue == nil ? 0 : 1) + (boolValue == nil ? 0 : 1) + (dataValue == nil ? 0 : 1)
    }
}
