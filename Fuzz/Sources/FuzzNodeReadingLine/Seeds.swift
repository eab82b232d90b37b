import FuzzSupport

// Seeds: the lines of Tests/NodeTests/ReadingParserTests.swift.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested {
        SeedExport.text("line", [
            "temp=21.5,Cel hum=45,%RH door=open ok=true", "  # a comment", "", "\t[{\"n\":\"temp\",\"u\":\"Cel\",\"v\":21.5}]",
            "a=1e308 b=-0 c=nan d=inf e=0x10 f=,Cel g==1,,", "x/y:z.w_v-u=text,with,commas\r", "9=1 _bad=1 =1 n=",
        ])
    }
    return 0
}
