import FuzzSupport
import Sealing
import SenML

// Seeds: messages sealed by `Sealer` with each test key (mode 0, to open), and sealing specs
// (mode 1). The plaintexts are SenML packs like the node sends.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        let plaintexts: [[UInt8]] = [
            SenMLPack([SenMLRecord(baseName: "fuzz-device/", name: "temp", unit: "Cel", value: 21.5)]).cbor(),
            SenMLPack([SenMLRecord(name: "fuzz-device/door", stringValue: "open")]).json(),
            [],
        ]
        var opened: [[UInt8]] = []
        for (index, key) in TestKeys.keys.enumerated() {
            let sealer = try Sealer(key: key, deviceID: deviceID, sequenceNumbers: InMemorySequenceNumberSource(startingAt: UInt64(index) * 300))
            for plaintext in plaintexts { opened.append([0] + (try sealer.seal(plaintext, contentFormat: plaintext.first == 0x5b ? 110 : 112))) }
        }
        let specs: [[UInt8]] = [
            [1, 0, 0, 0x70, 0, 0, 0, 0, 7, 0, 3, 0x55] + plaintexts[0],
            [3, 1, 0, 0x6e, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 0x80] + plaintexts[1],
            [5, 2, 0xff, 0xff, 0, 0, 1, 0, 0, 0, 0, 0x01],
        ]
        return SeedExport.binary("open", opened) + SeedExport.binary("seal", specs)
    }
    return 0
}
