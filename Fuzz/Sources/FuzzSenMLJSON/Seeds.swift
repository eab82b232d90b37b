import FuzzSupport
import SenML

// Seeds: the accepted and refused texts of Tests/SenMLTests/SenMLJSONTests.swift and the RFC 8428
// examples.

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    SeedExport.writeIfRequested { SeedExport.text("senml-json", seeds) }
    return 0
}

let seeds = [
    #"[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]"#,
    #"[{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},{"n":"current","u":"A","v":1.2}]"#,
    #"[{"bn":"dev-1/","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},{"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3}]"#,
    #"[{"n":"a","vs":"text \"quoted\" \u00e9 \ud83d\ude00 \/ \b\f\n\r\t"},{"n":"b","vb":false},{"n":"c","vd":"AAEC_w"},{"n":"d","s":12.5,"ut":60}]"#,
    #"[{"bn":"x/","bv":10,"bs":1},{"n":"y","v":-1.5e-3,"s":2},{"n":"z","v":9007199254740993}]"#,
    #"[{"n":"a","v":1,"x":[1,2,{"k":null}],"ext":"ignored"}]"#,
    #"[{"n":"a","v":1,"must_":1}]"#,
    #"[{"n":"a","v":1},]"#, #"[{"n":"a","v":01}]"#, #"[{"n":"a","v":1,"v":2}]"#, #"[{"n":"a","v":1,"\u0076":2}]"#,
    #"[{"n":"a","vs":"\ud800"}]"#, "[]", "[{}]", " [ { \"n\" : \"a\" , \"v\" : 1e308 } ] ",
    #"[{"n":"a","v":18446744073709551616},{"n":"b","v":-9223372036854775808}]"#,
]
