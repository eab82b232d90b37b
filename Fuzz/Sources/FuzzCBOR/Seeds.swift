import CBOR
import FuzzSupport

// Seeds: the RFC 8949 Appendix A vectors and edge cases of Tests/CBORTests, and values shaped
// like the project's own messages (a SenML record, a COSE_Encrypt0 skeleton).

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested { SeedExport.binary("cbor", seeds) }
    return 0
}

let seeds: [[UInt8]] = testVectors.map(hexBytes) + [
    CBOR.array([.map([.init(key: -2, value: "urn:dev:1:"), .init(key: 0, value: "temp"), .init(key: 2, value: 21.5)])]).encoded(),
    CBOR.tagged(16, [.byteString([0xa2, 0x01, 0x0a, 0x03, 0x18, 0x70]), [4: .byteString([1]), 6: .byteString([5])], .byteString(Array(repeating: 0x5a, count: 12))]).encoded(),
    CBOR.map([.init(key: "a", value: [1, 2.5, .null, .undefined, .simple(99), .boolean(true)]), .init(key: .byteString([0]), value: .tagged(1, 1_700_000_000))]).encoded(),
]

/// From Tests/CBORTests (RFC 8949 Appendix A and the reader's edge cases).
let testVectors = [
    "00", "17", "1818", "1903e8", "1a000f4240", "1b000000e8d4a51000", "1bffffffffffffffff", "3bffffffffffffffff",
    "20", "3863", "3903e7", "f90000", "f98000", "f93c00", "fb3ff199999999999a", "f93e00", "f97bff", "fa47c35000",
    "fa7f7fffff", "fb7e37e43c8800759c", "f90001", "f90400", "f9c400", "fbc010666666666666", "f97c00", "f97e00", "f9fc00",
    "fa7fc00000", "fb7ff8000000000000", "f4", "f5", "f6", "f7", "f0", "f8ff", "c074323031332d30332d32315432303a30343a30305a",
    "c11a514b67b0", "d74401020304", "d818456449455446", "40", "4401020304", "60", "6161", "6449455446", "62225c",
    "63e6b0b4", "64f0908591", "80", "83010203", "8301820203820405", "a0", "a201020304", "a26161016162820203",
    "826161a161626163", "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff",
    "bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff", "4501020304ff05", "a201020103",
    "5f6161ff", "5f5f4101ffff", "bf01ff", "7f61c361bcff", "62c328", "63eda080",
]

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = hex.makeIterator()
    while let high = chars.next(), let low = chars.next() { out.append(UInt8(String([high, low]), radix: 16)!) }
    return out
}
