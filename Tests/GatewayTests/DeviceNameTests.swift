@testable import Gateway
import Testing

/// Which SenML names are a device's own: a base name naming anything else is refused (4.03),
/// and a name that is not the device's is stored under it (`node-1/…`).
@Suite struct DeviceNameTests {
    @Test func aNameIsTheDevicesOnlyAsItsIdOrItsIdThenASeparator() {
        for own in ["node-1", "node-1/", "node-1/temp", "node-1:temp", "node-1/a/b"] {
            #expect(ReadingParser.isOwn(name: own, of: "node-1"), "\(own)")
        }
        // A longer id that starts with this one is another device.
        for other in ["node-10", "node-10/temp", "node-1x", "node-", "node", "", "/node-1", "Node-1/temp"] {
            #expect(!ReadingParser.isOwn(name: other, of: "node-1"), "\(other)")
        }
        #expect(ReadingParser.isOwn(name: "nöde/t", of: "nöde"))
    }
}
