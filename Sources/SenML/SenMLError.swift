/// Why a SenML pack was refused. Messages never quote the data.
public struct SenMLError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        /// Not well-formed JSON (RFC 8259) or CBOR, over a size or nesting limit, or not an array
        /// of records.
        case malformed
        /// More records than the limit.
        case tooManyRecords
        /// Well-formed, but not a pack this library accepts: a field of the wrong type, a number
        /// with no exactly equal double, a duplicate label, a must-understand label it does not
        /// know, a newer SenML version, more than one value in a record, or (when resolving) no
        /// records, a record without a value, or a name, unit or time outside the rules.
        case invalidRecord
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
