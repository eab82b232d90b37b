internal import CBOR

/// A `SUIT_Command_Sequence`: command number and argument, in pairs, in one array, carried in the
/// manifest as a `bstr .cbor` member.
public struct SUITCommandSequence: Hashable, Sendable {
    /// Deepest nesting of sequences (try-each, run-sequence) accepted.
    static let maxDepth = 4

    /// The commands, in order.
    public var commands: [SUITCommand]

    /// A sequence of `commands`.
    public init(_ commands: [SUITCommand]) { self.commands = commands }

    /// Decodes a `bstr .cbor SUIT_Command_Sequence` member.
    init(wrapped value: CBOR, _ path: String, depth: Int = 0) throws {
        guard depth <= Self.maxDepth else {
            throw SUITError.unsupported(path, "command sequences nested more than \(Self.maxDepth) deep")
        }
        let items = try SUITDecoding.array(SUITDecoding.wrapped(value, path), path)
        guard items.count.isMultiple(of: 2) else {
            throw SUITError.malformed(path, "a command sequence is pairs of command and argument (\(items.count) items)")
        }
        var commands: [SUITCommand] = []
        commands.reserveCapacity(items.count / 2)
        for pair in stride(from: 0, to: items.count, by: 2) {
            let here = "\(path)[\(pair)]"
            let number = try SUITDecoding.uint(items[pair], here)
            commands.append(try SUITCommand(number: number, argument: items[pair + 1], here, depth: depth))
        }
        self.commands = commands
    }

    /// The sequence's CBOR array, encoded (what goes inside the member's byte string).
    public func encoded() -> [UInt8] {
        CBOR.array(commands.flatMap { [.unsignedInt($0.number), $0.argument] }).encoded()
    }
}
