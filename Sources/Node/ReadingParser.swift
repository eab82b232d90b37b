public import SenML

/// Parses readings as a shell pipeline writes them, one reading per line:
///
/// - `name=value[,unit]` pairs separated by spaces: `temp=21.5,Cel hum=45,%RH door=open ok=true`.
///   A value that parses as a number is `v`; `true`/`false` is `vb`; anything else is `vs`.
/// - or a SenML JSON array: `[{"n":"temp","u":"Cel","v":21.5}]`.
///
/// Errors name the position of the problem, never the value.
public enum ReadingParser {
    /// The records of one line; `nil` for a blank line or a `#` comment.
    public static func parseLine(_ line: some StringProtocol) throws -> [SenMLRecord]? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let first = trimmed.first, first != "#" else { return nil }
        if first == "[" {
            do {
                return try SenMLPack(json: Array(trimmed.utf8)).records
            } catch {
                throw NodeError(.invalidReading, "the line is not a SenML JSON array: \(error.message)")
            }
        }
        let pairs = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        guard !pairs.isEmpty else { return nil }
        return try pairs.enumerated().map { index, pair in try parsePair(pair, position: index + 1) }
    }

    /// One `name=value[,unit]` pair (the form of `coap-node report --value`).
    public static func parsePair(_ pair: some StringProtocol, position: Int = 1) throws -> SenMLRecord {
        guard let equals = pair.firstIndex(of: "=") else {
            throw NodeError(.invalidReading, "value \(position) is not name=value[,unit]")
        }
        let name = String(pair[..<equals])
        guard SenMLPack.isValidName(name) else {
            throw NodeError(
                .invalidReading,
                "value \(position): a name starts with a letter or digit and holds only letters, digits and - : . / _")
        }
        var rest = pair[pair.index(after: equals)...]
        var unit: String?
        if let comma = rest.lastIndex(of: ",") {
            unit = String(rest[rest.index(after: comma)...])
            rest = rest[..<comma]
            if unit?.isEmpty == true { unit = nil }
        }
        let text = String(rest)
        guard !text.isEmpty else { throw NodeError(.invalidReading, "value \(position) (\(name)) has no value") }
        var record = SenMLRecord(name: name, unit: unit)
        if let number = Double(text), number.isFinite {
            record.value = number
        } else if text == "true" || text == "false" {
            record.boolValue = text == "true"
        } else {
            record.stringValue = text
        }
        return record
    }
}
