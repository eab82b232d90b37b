// Helpers that lend byte collections to C as pointers, only for the duration of a closure.

/// Lends the bytes of a contiguous collection (Array, ArraySlice, UnsafeBufferPointer, ...) with a
/// non-nil base address even when empty. The pointer is valid only inside `body`. Inlinable so that
/// callers in other modules get a specialized, allocation-free version.
@inlinable
func withBytes<C: RandomAccessCollection<UInt8>, R>(
    _ bytes: C,
    _ body: (UnsafeRawBufferPointer) throws -> R
) rethrows -> R {
    if bytes.isEmpty {
        return try withUnsafeTemporaryAllocation(byteCount: 1, alignment: 1) { scratch in
            try body(UnsafeRawBufferPointer(start: scratch.baseAddress, count: 0))
        }
    }
    if let result = try bytes.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return try Array(bytes).withUnsafeBytes { try body($0) }
}

extension UnsafeRawBufferPointer {
    /// The base address as `const unsigned char *`; callers guarantee it is non-nil.
    @inline(__always)
    var uint8Pointer: UnsafePointer<UInt8> {
        baseAddress!.assumingMemoryBound(to: UInt8.self)
    }
}
