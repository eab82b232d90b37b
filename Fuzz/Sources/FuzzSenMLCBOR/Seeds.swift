import CBOR
import FuzzSupport
import SenML

// Seeds: packs like Tests/SenMLTests' (every label, base fields, integer edges, text labels,
// bver, tag 4), encoded by this library and by hand.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested { SeedExport.binary("senml-cbor", seeds) }
    return 0
}

let seeds: [[UInt8]] = [
    SenMLPack([SenMLRecord(baseName: "dev-1/", baseTime: 1_700_000_000, baseUnit: "Cel", name: "temp", value: 21.5)]).cbor(),
    SenMLPack([
        SenMLRecord(baseName: "dev-1:", baseTime: 10, baseValue: 1, baseSum: 2, name: "a", unit: "%RH", value: 45, time: -5),
        SenMLRecord(name: "b", stringValue: "open"), SenMLRecord(name: "c", boolValue: true),
        SenMLRecord(name: "d", dataValue: [0, 1, 2, 0xff]), SenMLRecord(name: "e", sum: 12.25, time: 1_700_000_100),
    ]).cbor(),
    SenMLPack.cbor([SenMLMeasurement(name: "dev-1/temp", unit: "Cel", value: 21.5, time: 1_700_000_000)]),
    CBOR.array([.map([.init(key: 0, value: "x"), .init(key: 2, value: .unsignedInt(1 << 63))])]).encoded(),
    CBOR.array([.map([.init(key: 0, value: "x"), .init(key: 2, value: .negativeInt(.max))])]).encoded(),
    CBOR.array([.map([.init(key: -1, value: 10), .init(key: 0, value: "x"), .init(key: 2, value: 1.5), .init(key: "ext", value: [1, 2])])]).encoded(),
    CBOR.array([.map([.init(key: 0, value: "x"), .init(key: 2, value: .tagged(4, [-1, 215]))])]).encoded(),
    CBOR.array([.map([.init(key: 0, value: "x"), .init(key: "n", value: "y"), .init(key: 2, value: 1)])]).encoded(),
    CBOR.array([.map([.init(key: 0, value: "x"), .init(key: "must_", value: 1), .init(key: 2, value: 1)])]).encoded(),
    [0x9F, 0xA2, 0x00, 0x61, 0x78, 0x02, 0xF9, 0x3C, 0x00, 0xFF],
]
