import DeviceRegistry
import Testing

@Suite("Path patterns")
struct PathPatternTests {
    @Test func literalSegmentsMatchExactly() throws {
        let pattern = try PathPattern("/readings")
        #expect(pattern.matches(path: "/readings", deviceID: "d"))
        #expect(pattern.matches(path: "readings", deviceID: "d"))
        #expect(!pattern.matches(path: "/readings/x", deviceID: "d"))
        #expect(!pattern.matches(path: "/reading", deviceID: "d"))
        #expect(!pattern.matches(path: "/", deviceID: "d"))
    }

    @Test func deviceSegmentIsTheAskingDevicesOwnID() throws {
        let pattern = try PathPattern("/readings/{device}")
        #expect(pattern.matches(path: "/readings/dev-1", deviceID: "dev-1"))
        #expect(!pattern.matches(path: "/readings/dev-2", deviceID: "dev-1"))
        #expect(!pattern.matches(path: "/readings/{device}", deviceID: "dev-1"))
    }

    @Test func starMatchesExactlyOneNonEmptySegment() throws {
        let pattern = try PathPattern("/a/*/c")
        #expect(pattern.matches(path: "/a/b/c", deviceID: "d"))
        #expect(!pattern.matches(path: "/a/c", deviceID: "d"))
        #expect(!pattern.matches(path: "/a//c", deviceID: "d"))
        #expect(!pattern.matches(path: "/a/b/b/c", deviceID: "d"))
    }

    @Test func doubleStarMatchesTheRest() throws {
        let pattern = try PathPattern("/fw/**")
        #expect(pattern.matches(path: "/fw", deviceID: "d"))
        #expect(pattern.matches(path: "/fw/1/2/3", deviceID: "d"))
        #expect(!pattern.matches(path: "/fwx", deviceID: "d"))
    }

    @Test func rootPatternMatchesOnlyTheRoot() throws {
        let pattern = try PathPattern("/")
        #expect(pattern.matches(path: "/", deviceID: "d"))
        #expect(pattern.matches(path: "", deviceID: "d"))
        #expect(!pattern.matches(path: "/a", deviceID: "d"))
    }

    @Test func specificationsParseMethodsAndPattern() throws {
        let (methods, pattern) = try AccessRule.parseSpecification("get|Post,PUT /state/{device}")
        #expect(methods == ["GET", "POST", "PUT"])
        #expect(pattern == "/state/{device}")
        #expect(try AccessRule.parseSpecification("GET,* /x").methods == ["*"])
    }
}
