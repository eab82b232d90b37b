// The SenML and CBOR libraries in one page: a SenML pack (RFC 8428) with base fields, encoded as
// JSON (Content-Format 110) and CBOR (112), the CBOR shown as hex and in diagnostic notation
// (RFC 8949 §8), both decoded back, resolved into self-contained measurements, and two inputs a
// gateway refuses.
//
//     swift run senml-example

import CBOR
import Foundation
import SenML

func runExample() throws {
    // 1. A pack: the first record carries the base name and base time that apply to it and to the
    //    records after it; their times are relative to the base time.
    let pack = SenMLPack([
        SenMLRecord(baseName: "urn:dev:mac:0024befffe804ff1:", baseTime: 1_767_225_600, name: "temp", unit: "Cel", value: 21.5),
        SenMLRecord(name: "temp", unit: "Cel", value: 21.75, time: 60),
        SenMLRecord(name: "hum", unit: "%RH", value: 48, time: 60),
        SenMLRecord(name: "door", boolValue: false, time: 60),
        SenMLRecord(name: "fw", stringValue: "1.4.2"),
    ])

    // 2. The same pack in both encodings. CBOR uses integer labels and the shortest float that
    //    keeps each value (21.5 fits a half float); integers stay integers.
    let json = pack.json()
    let cbor = pack.cbor()
    print("SenML JSON, \(json.count) bytes:")
    print("  \(String(decoding: json, as: UTF8.self))")
    print("SenML CBOR, \(cbor.count) bytes (\(100 * cbor.count / json.count)% of the JSON):")
    print("  \(cbor.map { String(format: "%02x", $0) }.joined())")
    print("  as CBOR diagnostic notation: \(diagnostic(try CBOR(decoding: cbor)))")

    // 3. Decoded back, both give the pack we started from.
    let fromJSON = try SenMLPack(json: json)
    let fromCBOR = try SenMLPack(cbor: cbor)
    print("\ndecoded back: JSON \(fromJSON == pack ? "equal" : "DIFFERENT"), CBOR \(fromCBOR == pack ? "equal" : "DIFFERENT")")

    // 4. Resolved (RFC 8428 §4.6): self-contained measurements with full names and absolute times.
    print("resolved:")
    for m in try fromCBOR.resolved() {
        let value = m.value.map { "\($0)" } ?? m.boolValue.map { "\($0)" } ?? m.stringValue.map { "\"\($0)\"" } ?? "-"
        print("  \(m.name)  \(value)\(m.unit.map { " \($0)" } ?? "")  at \(Date(timeIntervalSince1970: m.time))")
    }

    // 5. Decoding is bounded and strict: a gateway gets an error, never a crash.
    do {
        _ = try SenMLPack(cbor: cbor, maxRecords: 3)
    } catch {
        print("\nwith at most 3 records: refused, \(error.code): \(error)")
    }
    do {
        _ = try SenMLPack(cbor: Array(cbor.dropLast(4)))
    } catch {
        print("the CBOR cut short:     refused, \(error.code): \(error)")
    }
}

/// RFC 8949 §8 diagnostic notation, enough for SenML: numbers, strings, booleans, arrays, maps.
func diagnostic(_ item: CBOR) -> String {
    switch item {
    case .unsignedInt(let n): "\(n)"
    case .negativeInt(let n): n == .max ? "-18446744073709551616" : "-\(n + 1)"
    case .byteString(let bytes): "h'\(bytes.map { String(format: "%02x", $0) }.joined())'"
    case .textString(let text): "\"\(text)\""
    case .array(let items): "[" + items.map(diagnostic).joined(separator: ", ") + "]"
    case .map(let entries): "{" + entries.map { "\(diagnostic($0.key)): \(diagnostic($0.value))" }.joined(separator: ", ") + "}"
    case .tagged(let tag, let inner): "\(tag)(\(diagnostic(inner)))"
    case .boolean(let b): "\(b)"
    case .null: "null"
    case .undefined: "undefined"
    case .simple(let n): "simple(\(n))"
    case .float(let d): "\(d)"
    }
}

try runExample()
