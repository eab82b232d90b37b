import FuzzSupport

// Seeds: option lists like a request's (Uri-Path, Uri-Query, Content-Format, Block1/2, Observe,
// ETag) and the edge values of Tests/CoAPTests/CoAPOptionsTests.swift.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        SeedExport.binary("options", [
            [0, 11, 8] + Array("readings".utf8) + [0, 12, 1, 112] + [0, 15, 5] + Array("dev=1".utf8),
            [0, 23, 1, 0x16] + [0, 27, 3, 0xff, 0xff, 0xfe] + [0, 28, 2, 0x04, 0x00] + [0, 60, 4, 0, 0, 0x10, 0],
            [0, 6, 0] + [0, 6, 3, 0x01, 0x00, 0x00] + [0, 4, 8, 1, 2, 3, 4, 5, 6, 7, 8] + [0, 1, 0] + [0, 5, 0],
            [0, 14, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1] + [0, 17, 2, 0, 0x6e] + [0, 23, 1, 0x07] + [0xff, 0xff, 0],
            [0, 11, 0] + [0, 11, 2, 0xc3, 0x28] + [0, 8, 1, 0x61] + [0, 20, 1, 0x62] + [0x12, 0x34, 1, 0],
        ])
    }
    return 0
}
