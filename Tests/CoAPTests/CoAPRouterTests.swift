import Testing
@testable import CoAP

@Suite struct CoAPRouterTests {
    @Test func templatesMatchSegmentsAndExtractParameters() {
        let t = CoAPPathTemplate("/readings/{device}")
        #expect(!t.isLiteral)
        #expect(t.match(["readings", "dev-1"]) == ["device": "dev-1"])
        #expect(t.match(["readings"]) == nil)
        #expect(t.match(["readings", "a", "b"]) == nil)
        #expect(t.match(["other", "a"]) == nil)
        #expect(t.expand(["device": "x"]) == "/readings/x")
        #expect(CoAPPathTemplate("/a/b").isLiteral)
        #expect(t.description == "/readings/{device}")
    }

    @Test func routerKeepsOneRoutePerPathWithSeveralMethods() {
        var router = CoAPRouter()
        router.get("/r/{id}") { _ in .status(.content) }
        router.put("/r/{id}", attributes: .init(observable: true)) { _ in .status(.changed) }
        router.get("/static") { _ in .status(.content) }
        #expect(router.routes.count == 2)
        #expect(router.routes[0].responders.count == 2)
        #expect(router.routes[0].attributes.observable)
        #expect(router.matchTemplated(["r", "7"])?.parameters == ["id": "7"])
        #expect(router.matchTemplated(["static"]) == nil)
    }

    /// A closure that never awaits is called in line (no task per request); one that awaits, or a
    /// value of the `Handler` type, runs as a task.
    @Test func closuresThatDoNotAwaitAreCalledInLine() {
        var router = CoAPRouter()
        router.get("/sync") { _ in .status(.content) }
        router.post("/throws") { request in
            guard !request.payload.isEmpty else { throw CoAPError(.system, "empty") }
            return .status(.changed)
        }
        router.get("/async") { _ in
            await Task.yield()
            return .status(.content)
        }
        let handler: CoAPRouter.Handler = { _ in .status(.content) }
        router.get("/typed", handler)
        func kind(_ i: Int, _ m: CoAPMethod) -> String {
            switch router.routes[i].responders[m] {
            case .immediate: "immediate"
            case .async: "async"
            case .replying: "replying"
            case nil: "none"
            }
        }
        #expect([kind(0, .get), kind(1, .post), kind(2, .get), kind(3, .get)] == ["immediate", "immediate", "async", "async"])
    }

    @Test func linkAttributesAreQuotedAsRFC6690Requires() {
        let a = CoAPResourceAttributes(resourceTypes: ["temperature-c"], interfaces: ["sensor"], contentFormats: [.textPlain], estimatedSize: 12, title: "Temp")
        let rendered = a.linkAttributes.map { "\($0.0)=\($0.1 ?? "")" }
        #expect(rendered == ["rt=\"temperature-c\"", "if=\"sensor\"", "ct=0", "sz=12", "title=\"Temp\""])
    }

    @Test func linkFormatSplitsOutsideQuotes() {
        let links = LinkFormat.split("</a>;title=\"x, y\";ct=0,</b>;obs, </c>")
        #expect(links == ["</a>;title=\"x, y\";ct=0", "</b>;obs", "</c>"])
        #expect(LinkFormat.target(of: links[1]) == "/b")
    }
}
