import CoAP
import FuzzSupport

// CoAP URIs (CoAPURI.init(_:), Sources/CoAP/Messages/CoAPURI.swift): every URI given on a command
// line or in a config file, and the proxy and link targets built from peers' answers. Checks: a
// parsed URI has a host and a non-zero port; its description parses back to the same URI when no
// decoded part holds a character that the description writes raw (`/`, `?`, `#`, `&`, `%`, or
// brackets in the host).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    guard let uri = try? CoAPURI(text) else { return 0 }
    invariant(!uri.host.isEmpty, "a URI without a host")
    invariant(uri.port != 0, "port 0")
    invariant(uri.isSecure == text.lowercased().hasPrefix("coaps://"), "the scheme and isSecure disagree")

    let raw: Set<Character> = ["/", "?", "#", "&", "%"]
    let printable = !uri.host.contains { $0 == "[" || $0 == "]" || raw.contains($0) }
        && !(uri.pathSegments + uri.query).contains { $0.contains { raw.contains($0) } }
    if printable {
        do {
            let again = try CoAPURI(uri.description)
            invariant(again == uri, "description → init gives another URI: \(uri.description)")
        } catch { unexpected(error, "the description of a parsed URI does not parse") }
    }
    return 0
}
