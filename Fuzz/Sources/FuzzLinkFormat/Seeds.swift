import FuzzSupport

// Seeds: documents like Tests/CoAPTests' and libcoap's and aiocoap-rd's /.well-known/core answers.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        SeedExport.text("links", [
            #"</sensors/temp>;rt="temperature-c";if="sensor",</sensors/light>;rt="light-lux";if="sensor""#,
            #"</.well-known/core>;ct=40,</readings>;ct="110 112";title="a, b",</fw/1>;sz=1024"#,
            "  </a> , ,</b>;anchor=\"</x>\"\n,\t</c%20d>;rt=\"x\" ",
            #"<coap://[::1]:5683/rd>;rt="core.rd";ct=40,</rd-lookup/ep>;rt="core.rd-lookup-ep""#,
            #"</unterminated>;title="no end"#, "<>", ",,,", "</é>;title=\"ü,ß\"",
        ])
    }
    return 0
}
