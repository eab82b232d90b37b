/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, copied into an array (the parsers take
/// arrays; the copy also lets AddressSanitizer catch reads past the end of the input).
public func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// The input as text, as a file or a datagram would be read into a `String` (invalid UTF-8
/// repaired), so parsers that take strings see every byte sequence the fuzzer makes.
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
}
