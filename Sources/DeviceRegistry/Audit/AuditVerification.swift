/// The result of checking the audit log's hash chain.
public struct AuditVerification: Sendable, Equatable {
    /// One thing wrong with the log.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The entry concerned (for a gap, the first missing one; for the head record, the last entry the head names).
        public var sequence: Int64
        /// What is wrong, for a person.
        public var message: String

        public init(sequence: Int64, message: String) {
            self.sequence = sequence
            self.message = message
        }

        public var description: String { "entry \(sequence): \(message)" }
    }

    /// How many entries were checked.
    public var entryCount: Int
    /// Everything found wrong, in log order; empty when the log is intact.
    public var problems: [Problem]

    /// Whether the chain is unbroken from the first entry to the recorded head.
    public var isIntact: Bool { problems.isEmpty }

    public init(entryCount: Int, problems: [Problem]) {
        self.entryCount = entryCount
        self.problems = problems
    }
}
