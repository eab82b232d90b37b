import FuzzSupport
import Sealing

// Device secret files (DeviceSecret(fileContents:), Sources/Sealing/DeviceSecret.swift): read by
// `coap seal/open`, `coap-registry add --sealing-secret-file` and `coap-node`. Checks: an accepted
// file is 64 hex digits and an optional newline, and its secret's own file form reads back to the
// same secret (so the same derived keys).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let secret = try? DeviceSecret(fileContents: input) else { return 0 }
    let digits = input.prefix(64)
    invariant(digits.count == 64 && digits.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) },
              "an accepted secret file does not start with 64 hex digits")
    invariant([[], [0x0A], [0x0D, 0x0A]].contains(Array(input.dropFirst(64))), "an accepted secret file has more than a newline after the digits")
    let form = secret.fileRepresentation()
    invariant(Array(form.utf8) == digits.map { $0 | 0x20 } + [0x0A], "the file form is not the lowercase digits and a newline")
    do {
        let again = try DeviceSecret(hexString: form)
        invariant(again.fileRepresentation() == form, "the file form does not read back")
    } catch { unexpected(error, "the file form of a secret does not read back") }
    return 0
}
