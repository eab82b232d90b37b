import FuzzSupport

// Seeds: config files like the gateway's documented example, with every key, and wrong types.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        SeedExport.text("config", [
            #"{"host":"0.0.0.0","port":5683,"dtlsPort":5684,"plain":false,"certificate":"gw.pem","privateKey":"gw.key","ca":"ca.pem"}"#,
            #"{"maxPayloadBytes":4096,"maxRecordsPerMessage":64,"ratePerDevice":2.5,"burstPerDevice":10,"lockoutThreshold":20,"lockoutWindowSeconds":60,"lockoutSeconds":300}"#,
            #"{"handshakeTimeoutSeconds":1.5,"maxHandshakes":64,"maxHandshakesPerAddress":4,"maxSessions":1000,"maxSessionsPerAddress":8,"durability":"full"}"#,
            #"{"port":65536}"#, #"{"port":"5683"}"#, #"{"unknown":1}"#, #"{"handshakeTimeoutSeconds":1e300}"#, #"{"lockoutSeconds":-9223372036854775808}"#, "[]", "{}",
        ])
    }
    return 0
}
