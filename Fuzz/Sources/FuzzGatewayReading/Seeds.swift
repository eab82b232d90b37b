import FuzzSupport
import SenML

// Seeds: readings like Tests/GatewayTests' (own base name, no base name, foreign base name,
// allow-listed and not), in both formats, with and without an allow-list.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        let packs = [
            SenMLPack([SenMLRecord(baseName: "dev-1/", name: "temp", unit: "Cel", value: 21.5), SenMLRecord(name: "door", stringValue: "open")]),
            SenMLPack([SenMLRecord(name: "a/b", value: 1, time: -10), SenMLRecord(name: "hum", value: 45)]),
            SenMLPack([SenMLRecord(baseName: "dev-1:", baseTime: 1_700_000_000, name: "x", boolValue: true)]),
            SenMLPack([SenMLRecord(baseName: "dev-2/", name: "temp", value: 1)]),
        ]
        var seeds: [[UInt8]] = []
        for pack in packs {
            for flags: UInt8 in [0, 2] {
                seeds.append([flags] + pack.cbor())
                seeds.append([flags | 1] + pack.json())
            }
        }
        return SeedExport.binary("reading", seeds)
    }
    return 0
}
