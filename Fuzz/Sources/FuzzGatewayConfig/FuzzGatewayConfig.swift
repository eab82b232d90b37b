import Foundation
import FuzzSupport
import Gateway

// The gateway's config file (GatewayConfigFile.parse(_:source:), Sources/Gateway/GatewayConfigFile.swift):
// a JSON object read at start. Checks: a file that parses names only known keys, and applying it
// to the default configuration either succeeds or refuses with an error (no trap on a hostile
// number, such as a huge handshake timeout or a negative lockout).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(fuzzBytes(data, size))
    guard let file = try? GatewayConfigFile.parse(input, source: "fuzz.json") else { return 0 }
    if let object = try? JSONSerialization.jsonObject(with: input) as? [String: Any] {
        invariant(object.keys.allSatisfy(GatewayConfigFile.keys.contains), "a config file with an unknown key parsed")
    }
    var configuration = GatewayConfiguration()
    try? file.apply(to: &configuration)
    return 0
}
