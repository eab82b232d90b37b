import Testing
@testable import CoAP

@Suite struct CoAPCodesTests {
    @Test func responseCodesPackClassAndDetail() {
        #expect(CoAPResponseCode.content.rawValue == 0x45)
        #expect(CoAPResponseCode.notFound.rawValue == 0x84)
        #expect(CoAPResponseCode.internalServerError.rawValue == 0xA0)
        #expect(CoAPResponseCode.tooManyRequests.rawValue == 0x9D)
        #expect(CoAPResponseCode(rawValue: 0x84) == .notFound)
        #expect(CoAPResponseCode.notFound.description == "4.04 Not Found")
        #expect(CoAPResponseCode.requestEntityTooLarge.dotted == "4.13")
        #expect(CoAPResponseCode.created.isSuccess)
        #expect(!CoAPResponseCode.badRequest.isSuccess)
    }

    @Test func methodsAndNames() {
        #expect(CoAPMethod.get.rawValue == 1)
        #expect(CoAPMethod.iPatch.rawValue == 7)
        #expect(CoAPMethod(name: "post") == .post)
        #expect(CoAPMethod(name: "FETCH") == .fetch)
        #expect(CoAPMethod(name: "BREW") == nil)
    }

    @Test func contentFormatsParseNumbersAndNames() {
        #expect(ContentFormat(argument: "112") == .senmlCBOR)
        #expect(ContentFormat(argument: "senml+json") == .senmlJSON)
        #expect(ContentFormat(argument: "cose") == .coseEncrypt0)
        #expect(ContentFormat(argument: "text") == .textPlain)
        #expect(ContentFormat(argument: "nonsense") == nil)
        #expect(ContentFormat.coseEncrypt0.rawValue == 16)
        #expect(ContentFormat.linkFormat.mediaType == "application/link-format")
    }
}
