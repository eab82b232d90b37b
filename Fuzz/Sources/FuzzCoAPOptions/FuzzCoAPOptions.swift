import CoAP
import FuzzSupport

// CoAP option values (CoAPOption.swift, CoAPOptions.swift, CoAPBlockOption.swift): every option a
// peer sends reaches these accessors as raw bytes. The input is a list of options, each
// `number (2 bytes) | length (1 byte) | value`. Checks: options stay sorted by number, repeated
// ones in arrival order; an unsigned value re-encodes to its minimal form; a Block1/Block2 value
// decodes to fields in range that re-encode to the same block; the typed setters round-trip.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var received: [CoAPOption] = []
    var i = 0
    while i + 3 <= input.count {
        let number = CoAPOptionNumber(UInt16(input[i]) << 8 | UInt16(input[i + 1]))
        let length = min(Int(input[i + 2]), input.count - i - 3)
        received.append(CoAPOption(number, Array(input[(i + 3)..<(i + 3 + length)])))
        i += 3 + length
    }
    var options = CoAPOptions()
    for option in received { options.append(option) }

    let stored = Array(options)
    invariant(stored.count == received.count, "options were lost or added")
    invariant(zip(stored, stored.dropFirst()).allSatisfy { $0.number <= $1.number }, "options are not sorted by number")
    for number in Set(received.map(\.number)) {
        invariant(options.values(number) == received.filter { $0.number == number }.map(\.value), "option \(number) lost its order")
    }
    for option in received { check(option) }
    _ = options.description
    checkTypedAccessors(options)
    return 0
}

func check(_ option: CoAPOption) {
    _ = option.description
    if let v = option.uintValue {
        invariant(option.value.count <= 8, "a uint value longer than 8 bytes")
        invariant(CoAPOption.encodeUInt(v) == Array(option.value.drop { $0 == 0 }), "uint \(v) does not re-encode to its minimal form")
    } else {
        invariant(option.value.count > 8, "a value of at most 8 bytes has no uint reading")
    }
    if let block = CoAPBlockOption(option: option) {
        invariant(block.szx < 7 && block.number < 1 << 20, "block fields out of range: \(block)")
        invariant((16...1024).contains(block.size), "block size \(block.size)")
        invariant(CoAPBlockOption(option: block.option(.block2)) == block, "a block option does not round-trip")
        invariant(CoAPBlockOption.szx(forSize: block.size) == block.szx, "szx(forSize:) is not the inverse of size")
    }
}

/// Reading every typed accessor of hostile options must not trap, and writing a value read back
/// must give the same value.
func checkTypedAccessors(_ options: CoAPOptions) {
    var copy = options
    copy.uriPath = options.uriPath
    invariant(copy.uriPath == options.uriPath, "uriPath does not round-trip")
    copy.uriQuery = options.uriQuery
    invariant(copy.uriQuery == options.uriQuery, "uriQuery does not round-trip")
    copy.locationPath = options.locationPath
    copy.locationQuery = options.locationQuery
    copy.contentFormat = options.contentFormat
    invariant(copy.contentFormat == options.contentFormat, "contentFormat does not round-trip")
    copy.accept = options.accept
    copy.maxAge = options.maxAge
    invariant(copy.maxAge == options.maxAge, "maxAge does not round-trip")
    copy.eTags = options.eTags
    invariant(copy.eTags == options.eTags, "eTags do not round-trip")
    copy.ifMatch = options.ifMatch
    copy.ifNoneMatch = options.ifNoneMatch
    copy.observe = options.observe
    invariant(copy.observe == options.observe, "observe does not round-trip")
    copy.block1 = options.block1
    invariant(copy.block1 == options.block1, "block1 does not round-trip")
    copy.block2 = options.block2
    invariant(copy.block2 == options.block2, "block2 does not round-trip")
    copy.size1 = options.size1
    copy.size2 = options.size2
    invariant(copy.size2 == options.size2, "size2 does not round-trip")
}
