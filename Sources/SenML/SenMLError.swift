/// Why a SenML pack was refused. Messages never quote the data.
public struct SenMLError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        /// Not JSON / not CBOR, or not an array of records.
        case malformed
        /// More records than the limit.
        case tooManyRecords
        /// A field of the wrong type, or an invalid name (RFC 8428 §4.5.1).
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
