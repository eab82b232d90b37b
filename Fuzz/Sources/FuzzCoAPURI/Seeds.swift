import FuzzSupport

// Seeds: the URIs of Tests/CoAPTests/CoAPURITests.swift and the CLI's examples.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        SeedExport.text("uri", [
            "coap://localhost/sensors/temp", "coaps://[::1]:5684/readings?dev=1&x", "COAP://host:61616/a%20b/%2F?q=%26#frag",
            "coap://h/rd/", "coap://h//", "coap://h", "coap://[fe80::1%25eth0]/", "coaps://10.0.0.1:1/.well-known/core",
            "coap://h:0/", "coap://h:65536/", "coap://:5683/", "coap://h/%zz", "http://h/", "coap://[::1/", "coap://h?a&&b",
        ])
    }
    return 0
}
