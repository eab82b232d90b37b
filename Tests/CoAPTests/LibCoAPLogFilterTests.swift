import Testing
@testable import CoAP

/// libcoap's per-datagram complaints: a few per kind and interval, the rest summed up.
@Suite struct LibCoAPLogFilterTests {
    @Test func numbersDoNotMakeNewKinds() {
        #expect(LibCoAPLogFilter.kind(of: "coap_pdu_parse: 127.0.0.1:5683 bad length 12")
            == LibCoAPLogFilter.kind(of: "coap_pdu_parse: 10.1.2.3:40000 bad length 7"))
        #expect(LibCoAPLogFilter.kind(of: "discard malformed PDU") != LibCoAPLogFilter.kind(of: "coap_pdu_parse: bad length"))
    }

    @Test func aFloodIsLoggedThreeTimesPerIntervalAndSummedUp() {
        var filter = LibCoAPLogFilter()
        let second: UInt64 = 1_000_000_000
        var logged = 0
        for i in 0..<10_000 where filter.shouldLog("discard malformed PDU", now: 20 * second + UInt64(i)) { logged += 1 }
        #expect(logged == 3)
        let early = filter.summaries(now: 25 * second)
        #expect(early.isEmpty, "the interval is not over")
        let summaries = filter.summaries(now: 31 * second)
        #expect(summaries.map(\.suppressed) == [9_997])
        let again = filter.shouldLog("discard malformed PDU", now: 32 * second)
        #expect(again, "a new interval logs again")
    }
}
