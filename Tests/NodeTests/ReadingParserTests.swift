@testable import Node
import SenML
import Testing

@Suite("Reading lines")
struct ReadingParserTests {
    @Test("name=value[,unit] pairs: numbers, booleans, text, units")
    func pairs() throws {
        let records = try #require(try ReadingParser.parseLine("temp=21.5,Cel  hum=45,%RH door=open ok=true n=-3e2"))
        #expect(records == [
            SenMLRecord(name: "temp", unit: "Cel", value: 21.5),
            SenMLRecord(name: "hum", unit: "%RH", value: 45),
            SenMLRecord(name: "door", stringValue: "open"),
            SenMLRecord(name: "ok", boolValue: true),
            SenMLRecord(name: "n", value: -300),
        ])
    }

    @Test("a SenML JSON array")
    func json() throws {
        let records = try #require(try ReadingParser.parseLine(#"[{"bn":"node-7/","n":"temp","u":"Cel","v":21.5},{"n":"hum","v":45}]"#))
        #expect(records.count == 2)
        #expect(records[0].baseName == "node-7/")
        #expect(records[1].value == 45)
    }

    @Test("blank lines and comments are not readings; malformed pairs are errors that do not quote the value")
    func errors() throws {
        #expect(try ReadingParser.parseLine("   ") == nil)
        #expect(try ReadingParser.parseLine("# comment") == nil)
        #expect(throws: NodeError.self) { try ReadingParser.parseLine("temp") }
        #expect(throws: NodeError.self) { try ReadingParser.parseLine("temp=") }
        #expect(throws: NodeError.self) { try ReadingParser.parseLine("bad name=1") }
        #expect(throws: NodeError.self) { try ReadingParser.parseLine("[{\"n\":") }
        do {
            _ = try ReadingParser.parseLine("ok=1 =s3cr3t")
            Issue.record("expected an error")
        } catch let error as NodeError {
            #expect(!error.message.contains("s3cr3t"))
            #expect(error.message.contains("value 2"))
        }
    }
}
