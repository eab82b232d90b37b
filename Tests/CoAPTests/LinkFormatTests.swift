import CoAP
import Testing

/// Link-format documents as peers send them, including what Fuzz/FuzzLinkFormat found.
struct LinkFormatTests {
    @Test func linksAreSplitAtCommasOutsideQuotes() {
        #expect(LinkFormat.split(#"</a>;rt="x,y", </b> ,</c>;title="q""#) == [#"</a>;rt="x,y""#, "</b>", #"</c>;title="q""#])
        #expect(LinkFormat.target(of: #"</sensors/temp>;rt="x""#) == "/sensors/temp")
    }

    /// A comma followed by a combining mark is one Swift Character, but still a separator: the
    /// document is read by Unicode scalar (found by Fuzz/FuzzLinkFormat).
    @Test func aCombiningMarkAfterACommaDoesNotHideTheSeparator() {
        let links = LinkFormat.split("</a>,\u{0358}</b>")
        #expect(links == ["</a>", "\u{0358}</b>"])
        #expect(LinkFormat.target(of: "</x>\u{0358};rt=t") == "/x")
        #expect(LinkFormat.split(links.joined(separator: ",")) == links)
    }
}
