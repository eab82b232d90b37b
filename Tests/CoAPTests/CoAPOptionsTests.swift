import Testing
@testable import CoAP

@Suite struct CoAPOptionsTests {
    @Test func uintOptionsUseTheMinimalBigEndianForm() {
        #expect(CoAPOption(.maxAge, uint: 0).value == [])
        #expect(CoAPOption(.maxAge, uint: 60).value == [60])
        #expect(CoAPOption(.maxAge, uint: 0x1234).value == [0x12, 0x34])
        #expect(CoAPOption(.size2, uint: 1_048_576).value == [0x10, 0x00, 0x00])
        #expect(CoAPOption(.maxAge, [0x01, 0x00]).uintValue == 256)
    }

    @Test func optionsStayInNumberOrderAndRepeatableOnesKeepTheirOrder() {
        var options = CoAPOptions()
        options.contentFormat = .senmlCBOR
        options.uriPath = ["readings", "dev-1"]
        options.uriQuery = ["limit=5", "since=10"]
        options.observe = 0
        #expect(options.map(\.number) == [.observe, .uriPath, .uriPath, .contentFormat, .uriQuery, .uriQuery])
        #expect(options.uriPath == ["readings", "dev-1"])
        #expect(options.uriQuery == ["limit=5", "since=10"])
        #expect(options.contentFormat == .senmlCBOR)
        #expect(options.first(.contentFormat)?.value == [112])
    }

    @Test func typedAccessorsRoundTrip() {
        var options = CoAPOptions()
        options.accept = .json
        options.maxAge = 30
        options.eTags = [[1, 2, 3]]
        options.ifMatch = [[9]]
        options.ifNoneMatch = true
        options.locationPath = ["a", "b"]
        options.locationQuery = ["x=1"]
        options.size1 = 4096
        options.size2 = 8192
        #expect(options.accept == .json)
        #expect(options.maxAge == 30)
        #expect(options.eTags == [[1, 2, 3]])
        #expect(options.ifMatch == [[9]])
        #expect(options.ifNoneMatch)
        #expect(options.first(.ifNoneMatch)?.value == [])
        #expect(options.locationPath == ["a", "b"])
        #expect(options.locationQuery == ["x=1"])
        #expect(options.size1 == 4096)
        #expect(options.size2 == 8192)
        options.ifNoneMatch = false
        options.maxAge = nil
        #expect(!options.contains(.ifNoneMatch))
        #expect(!options.contains(.maxAge))
    }

    @Test func blockOptionEncodesNumberMoreAndSize() {
        let block = CoAPBlockOption(number: 5, more: true, szx: 2)
        #expect(block.size == 64)
        let option = block.option(.block2)
        #expect(option.value == [0x5A])  // 5 << 4 | 8 | 2
        #expect(CoAPBlockOption(option: option) == block)
        #expect(CoAPBlockOption.szx(forSize: 64) == 2)
        #expect(CoAPBlockOption.szx(forSize: 1024) == 6)
        #expect(CoAPBlockOption.szx(forSize: 5000) == 6)
        #expect(CoAPBlockOption(option: CoAPOption(.block1, [0x07])) == nil, "szx 7 is reserved")
        var options = CoAPOptions()
        options.block1 = CoAPBlockOption(number: 1000, more: false, szx: 6)
        #expect(options.block1?.number == 1000)
        #expect(options.first(.block1)?.value == [0x3E, 0x86])
    }

    @Test func criticalOptionsAreOdd() {
        #expect(CoAPOptionNumber.uriPath.isCritical)
        #expect(CoAPOptionNumber.block2.isCritical)
        #expect(!CoAPOptionNumber.contentFormat.isCritical)
        #expect(!CoAPOptionNumber.observe.isCritical)
    }

    @Test func descriptionsAreReadable() {
        var options = CoAPOptions()
        options.contentFormat = .senmlJSON
        options.block2 = CoAPBlockOption(number: 2, more: true, szx: 6)
        #expect(options.description == "Content-Format: 110 (application/senml+json), Block2: 2/1/1024")
    }
}
