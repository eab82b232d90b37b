import CBOR
import FuzzSupport

// CBOR decoding (Sources/CBOR/CBORReader.swift under CBORLimits): every sealed message, SenML
// CBOR pack and registry value goes through it. Beyond "no crash", each input checks:
// - the encoding of a decoded value decodes to the same value (floats bit for bit, so a lost
//   sign or a wrong half-precision form shows), and encoding is idempotent;
// - `skipValue()` accepts whatever `readValue()` accepts, and stops at the same byte;
// - the typed reads (`readInt`, `readByteString`, `readArrayHeader`, ...) walk a definite-length
//   item to the value `readValue()` builds;
// - under tight limits, a decoded value respects them, and the default limits decode it too.

/// Limits that bite on small inputs, so the limit checks run on most inputs.
let tight = CBORLimits(maxDepth: 4, maxItems: 64, maxStringLength: 64, maxInputLength: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let value = try? CBOR(decoding: input)

    checkSkipAgreesWithRead(input)
    checkTypedWalk(input)

    if let small = try? CBOR(decoding: input, limits: tight) {
        let shape = Shape(of: small)
        invariant(shape.depth <= tight.maxDepth, "depth \(shape.depth) decoded under maxDepth \(tight.maxDepth)")
        invariant(shape.items <= tight.maxItems, "\(shape.items) items decoded under maxItems \(tight.maxItems)")
        invariant(shape.longestString <= tight.maxStringLength, "a \(shape.longestString)-byte string under maxStringLength \(tight.maxStringLength)")
        invariant(value.map { Sameness.same(small, $0) } == true, "tight limits decode what the defaults refuse, or differently")
    }

    guard let value else { return 0 }
    let encoded = value.encoded()
    let again: CBOR
    do { again = try CBOR(decoding: encoded) } catch { unexpected(error, "the encoding of a decoded value does not decode") }
    invariant(Sameness.same(value, again), "decode → encode → decode changed the value")
    invariant(again.encoded() == encoded, "encoding is not idempotent")
    invariant(encoded.count <= input.count + 2 * Shape(of: value).items, "the deterministic encoding is much longer than the input")
    return 0
}

/// `skipValue()` checks less than `readValue()` (no UTF-8, no duplicate keys), never more.
func checkSkipAgreesWithRead(_ input: [UInt8]) {
    guard var read = try? CBORReader(input), var skip = try? CBORReader(input) else { return }
    let readOK = (try? read.readValue()) != nil
    let skipOK = (try? skip.skipValue()) != nil
    if readOK {
        invariant(skipOK, "skipValue() refuses an item readValue() accepts")
        invariant(read.offset == skip.offset, "skipValue() stops at \(skip.offset), readValue() at \(read.offset)")
    }
}

/// The typed reads, driven by `nextMajorType` as the sealed-payload and SenML parsers drive them,
/// must build what `readValue()` builds when both succeed.
func checkTypedWalk(_ input: [UInt8]) {
    guard var typed = try? CBORReader(input), var whole = try? CBORReader(input) else { return }
    guard let walked = try? TypedWalk.value(&typed, depth: 0), let read = try? whole.readValue() else { return }
    invariant(Sameness.same(walked, read), "the typed reads and readValue() disagree")
    invariant(typed.offset == whole.offset, "the typed reads stop at \(typed.offset), readValue() at \(whole.offset)")
}
