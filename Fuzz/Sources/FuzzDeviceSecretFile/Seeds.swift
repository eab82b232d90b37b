import FuzzSupport

// Seeds: secret files of the three accepted shapes and near misses (test values, not secrets).

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        let digits = String(repeating: "0123456789abcdef", count: 4)
        return SeedExport.text("secret", [digits, digits + "\n", digits.uppercased() + "\r\n", digits + "\n\n", String(digits.dropLast()) + "g", "00"])
    }
    return 0
}
