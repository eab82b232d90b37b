internal import CBOR

/// One command of a SUIT command sequence (draft-ietf-suit-manifest §8.4.9–§8.4.10).
///
/// The set is closed: a command number outside it is refused as ``SUITError/Code/unsupported``
/// when the sequence is decoded, so nothing in a manifest is ever skipped unnoticed.
public enum SUITCommand: Hashable, Sendable {
    /// A condition, with its reporting policy.
    case condition(SUITCondition, reportingPolicy: UInt64)
    /// A directive taking a reporting policy (fetch, copy, write, invoke, swap).
    case directive(SUITDirective, reportingPolicy: UInt64)
    /// `directive-set-component-index`: which components the following commands apply to.
    case setComponentIndex(SUITComponentSelection)
    /// `directive-override-parameters`.
    case overrideParameters(SUITParameters)
    /// `directive-set-parameters`: sets only parameters not set yet.
    case setParameters(SUITParameters)
    /// `directive-try-each`: the first sequence whose conditions all pass; `allowNone` when the
    /// argument ends in `null` (no sequence passing is then not a failure).
    case tryEach([SUITCommandSequence], allowNone: Bool)
    /// `directive-run-sequence`.
    case runSequence(SUITCommandSequence)

    /// The command's number in the draft.
    public var number: UInt64 {
        switch self {
        case .condition(let condition, _): condition.rawValue
        case .directive(let directive, _): directive.rawValue
        case .setComponentIndex: 12
        case .overrideParameters: 20
        case .setParameters: 19
        case .tryEach: 15
        case .runSequence: 32
        }
    }

    /// The draft's name of the command.
    public var name: String {
        switch self {
        case .condition(let condition, _): "condition-" + condition.name
        case .directive(let directive, _): "directive-" + directive.name
        case .setComponentIndex: "directive-set-component-index"
        case .overrideParameters: "directive-override-parameters"
        case .setParameters: "directive-set-parameters"
        case .tryEach: "directive-try-each"
        case .runSequence: "directive-run-sequence"
        }
    }

    /// The argument as CBOR.
    var argument: CBOR {
        switch self {
        case .condition(_, let policy), .directive(_, let policy): .unsignedInt(policy)
        case .setComponentIndex(let selection): selection.cbor
        case .overrideParameters(let parameters), .setParameters(let parameters): parameters.cbor
        case .tryEach(let sequences, let allowNone):
            .array(sequences.map { .byteString($0.encoded()) } + (allowNone ? [.null] : []))
        case .runSequence(let sequence): .byteString(sequence.encoded())
        }
    }

    /// Decodes the command numbered `number` with `argument`; `depth` counts nested sequences.
    init(number: UInt64, argument: CBOR, _ path: String, depth: Int) throws {
        // Every argument is decoded into a local before `self` is assigned. (The nested sequences
        // are held in arrays, so the enum needs no `indirect` boxes: a box allocated for a payload
        // whose decoding then threw was leaked, as LeakSanitizer showed.)
        if let condition = SUITCondition(rawValue: number) {
            let policy = try SUITDecoding.uint(argument, path + ".policy")
            self = .condition(condition, reportingPolicy: policy)
        } else if let directive = SUITDirective(rawValue: number) {
            let policy = try SUITDecoding.uint(argument, path + ".policy")
            self = .directive(directive, reportingPolicy: policy)
        } else {
            switch number {
            case 12:
                let selection = try SUITComponentSelection(cbor: argument, path)
                self = .setComponentIndex(selection)
            case 20:
                let parameters = try SUITParameters(cbor: argument, path)
                self = .overrideParameters(parameters)
            case 19:
                let parameters = try SUITParameters(cbor: argument, path)
                self = .setParameters(parameters)
            case 15:
                var items = try SUITDecoding.array(argument, path)
                let allowNone = items.last?.isNull ?? false
                if allowNone { items.removeLast() }
                guard !items.isEmpty else { throw SUITError.malformed(path, "try-each needs at least one sequence") }
                let sequences = try items.enumerated().map { index, item in
                    try SUITCommandSequence(wrapped: item, "\(path)[\(index)]", depth: depth + 1)
                }
                self = .tryEach(sequences, allowNone: allowNone)
            case 32:
                let sequence = try SUITCommandSequence(wrapped: argument, path, depth: depth + 1)
                self = .runSequence(sequence)
            default: throw SUITError.unsupported(path, "command \(number) is not implemented")
            }
        }
    }
}

/// The conditions this implementation knows.
public enum SUITCondition: UInt64, Hashable, Sendable, CaseIterable {
    case vendorIdentifier = 1
    case classIdentifier = 2
    case imageMatch = 3
    case componentSlot = 5
    case checkContent = 6
    case abort = 14
    case deviceIdentifier = 24

    /// The draft's name, without the `condition-` prefix.
    public var name: String {
        switch self {
        case .vendorIdentifier: "vendor-identifier"
        case .classIdentifier: "class-identifier"
        case .imageMatch: "image-match"
        case .componentSlot: "component-slot"
        case .checkContent: "check-content"
        case .abort: "abort"
        case .deviceIdentifier: "device-identifier"
        }
    }
}

/// The directives that take a reporting policy.
public enum SUITDirective: UInt64, Hashable, Sendable, CaseIterable {
    case write = 18
    case fetch = 21
    case copy = 22
    case invoke = 23
    case swap = 31

    /// The draft's name, without the `directive-` prefix.
    public var name: String {
        switch self {
        case .write: "write"
        case .fetch: "fetch"
        case .copy: "copy"
        case .invoke: "invoke"
        case .swap: "swap"
        }
    }
}

/// The argument of `directive-set-component-index`.
public enum SUITComponentSelection: Hashable, Sendable {
    /// One component, by its index in `common.components`.
    case index(UInt64)
    /// Several components.
    case indices([UInt64])
    /// Every component (`true`).
    case all

    init(cbor value: CBOR, _ path: String) throws {
        switch value {
        case .unsignedInt(let index): self = .index(index)
        case .boolean(true): self = .all
        case .array(let items):
            guard !items.isEmpty else { throw SUITError.malformed(path, "an empty component index list") }
            self = .indices(try items.map { try SUITDecoding.uint($0, path) })
        default: throw SUITError.malformed(path, "a component index is an unsigned integer, true or a list")
        }
    }

    var cbor: CBOR {
        switch self {
        case .index(let index): .unsignedInt(index)
        case .indices(let indices): .array(indices.map(CBOR.unsignedInt))
        case .all: .boolean(true)
        }
    }
}
