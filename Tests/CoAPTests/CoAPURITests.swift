import Testing
@testable import CoAP

@Suite struct CoAPURITests {
    @Test func parsesHostPortPathAndQuery() throws {
        let uri = try CoAPURI("coap://127.0.0.1:5700/readings/dev%201?limit=5&since=10")
        #expect(uri.scheme == .coap)
        #expect(uri.host == "127.0.0.1")
        #expect(uri.port == 5700)
        #expect(uri.pathSegments == ["readings", "dev 1"])
        #expect(uri.query == ["limit=5", "since=10"])
        #expect(uri.path == "/readings/dev 1")
    }

    @Test func defaultsPortsBySchemeAndHandlesIPv6() throws {
        #expect(try CoAPURI("coap://example.org").port == 5683)
        #expect(try CoAPURI("coaps://example.org/x").port == 5684)
        let v6 = try CoAPURI("coap://[::1]:6000/a")
        #expect(v6.host == "::1")
        #expect(v6.port == 6000)
        #expect(v6.description == "coap://[::1]:6000/a")
    }

    @Test func rejectsMalformedURIsWithAClearCode() {
        for bad in ["http://x/", "coap//x", "coap://", "coap://h:0/", "coap://h:99999/", "coap://[::1/", "coap://h/%zz"] {
            #expect(throws: CoAPError.self, "\(bad)") { try CoAPURI(bad) }
            do { _ = try CoAPURI(bad) } catch { #expect(error.code == .invalidURI) }
        }
    }

    @Test func requestFromURICarriesPathAndQueryAsOptions() throws {
        let uri = try CoAPURI("coap://h/a/b?x=1")
        let request = CoAPRequest(method: .get, uri: uri)
        #expect(request.options.uriPath == ["a", "b"])
        #expect(request.queryValue("x") == "1")
        #expect(request.queryValue("y") == nil)
    }
}

@Suite struct URIPathSegmentTests {
    /// RFC 7252 §6.4 step 8: "/" or nothing gives no Uri-Path; otherwise every segment, empty
    /// ones included (aiocoap's resource directory serves "/resourcedirectory/", not
    /// "/resourcedirectory").
    @Test func emptySegmentsAreKeptAsTheRFCSays() throws {
        #expect(try CoAPURI("coap://h").pathSegments == [])
        #expect(try CoAPURI("coap://h/").pathSegments == [])
        #expect(try CoAPURI("coap://h/rd/").pathSegments == ["rd", ""])
        #expect(try CoAPURI("coap://h/a//b").pathSegments == ["a", "", "b"])
        #expect(try CoAPURI("coap://h/rd/?ep=x").query == ["ep=x"])
        #expect(try CoAPURI("coap://h/rd/").description.hasSuffix("/rd/"))
        #expect(CoAPRequest(method: .get, path: "/lookup/").options.uriPath == ["lookup", ""])
        #expect(CoAPRequest(method: .get, path: "/").options.uriPath == [])
    }
}
