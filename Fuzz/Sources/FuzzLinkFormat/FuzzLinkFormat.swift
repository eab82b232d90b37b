import CoAP
import FuzzSupport

// Link-format (RFC 6690, Sources/CoAP/Messages/LinkFormat.swift): the body of a
// `/.well-known/core` answer from any peer, which `coap discover` splits into links. Checks: no
// link is empty or has whitespace at either end; splitting the links joined again gives the same
// links; a target is what lies between the leading `<` and the first `>` (all by Unicode scalar).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let document = fuzzText(data, size)
    let links = LinkFormat.split(document)
    // Scalars, not Characters: a separator followed by a combining mark is still a separator.
    for link in links {
        let scalars = Array(link.unicodeScalars)
        invariant(!scalars.isEmpty, "an empty link")
        invariant(scalars.first?.properties.isWhitespace == false && scalars.last?.properties.isWhitespace == false,
                  "a link keeps surrounding whitespace")
        if let target = LinkFormat.target(of: link) {
            let expected = Array(("<" + target + ">").unicodeScalars)
            invariant(scalars.first == "<" && !target.unicodeScalars.contains(">"), "a target that is not between < and the first >")
            invariant(Array(scalars.prefix(expected.count)) == expected, "a target that is not the link's start")
        } else {
            invariant(scalars.first != "<" || !scalars.contains(">"), "no target in a link of the form <...>")
        }
    }
    invariant(LinkFormat.split(links.joined(separator: ",")) == links, "splitting the joined links gives other links")
    return 0
}
