/// Reads CBOR item by item from a byte buffer, with ``CBORLimits`` enforced throughout.
///
/// Use ``readValue()`` for whole items, or the typed calls (``readTag()``, ``readArrayHeader()``,
/// ``readByteString()``, ...) to walk a known structure without building ``CBOR`` values: byte strings
/// come back as slices of the input, with no copy.
///
/// Indefinite-length items are accepted by ``readValue()`` and ``skipValue()`` (chunked strings are
/// joined; each chunk must be a definite string of the same type, and each text chunk valid UTF-8),
/// but the typed calls need definite lengths and throw ``CBORError/Code/indefiniteLength`` otherwise.
public struct CBORReader: Sendable {
    // Internal state is @usableFromInline so the typed reads below inline into callers
    // (the gateway's hot paths) across the module boundary.
    @usableFromInline let input: ArraySlice<UInt8>
    @usableFromInline var position: Int
    @usableFromInline var itemCount = 0
    /// The limits in force.
    public let limits: CBORLimits
    private let maxDepth: Int

    /// Reads from `bytes`. Throws ``CBORError/Code/inputTooLong`` if it exceeds ``CBORLimits/maxInputLength``.
    public init(_ bytes: [UInt8], limits: CBORLimits = .default) throws {
        try self.init(bytes[...], limits: limits)
    }

    /// Reads from a slice; offsets in errors count from the slice's start.
    public init(_ bytes: ArraySlice<UInt8>, limits: CBORLimits = .default) throws {
        guard bytes.count <= limits.maxInputLength else {
            throw CBORError(.inputTooLong, "input of \(bytes.count) bytes exceeds the limit of \(limits.maxInputLength)")
        }
        input = bytes
        position = bytes.startIndex
        self.limits = limits
        maxDepth = limits.effectiveMaxDepth
    }

    /// Bytes consumed so far.
    @inlinable public var offset: Int { position - input.startIndex }

    /// Whether every byte has been read.
    @inlinable public var isAtEnd: Bool { position >= input.endIndex }

    /// The major type (0...7) of the next item, or `nil` at the end of input.
    @inlinable public var nextMajorType: Int? {
        isAtEnd ? nil : Int(input[position] >> 5)
    }

    /// Throws ``CBORError/Code/trailingBytes`` unless every byte has been read.
    @inlinable public func finish() throws {
        guard isAtEnd else {
            throw CBORError(.trailingBytes, "\(input.endIndex - position) bytes after the end of the item", offset: offset)
        }
    }

    // MARK: Typed reads (definite lengths only)

    /// An unsigned integer (major type 0).
    @inlinable public mutating func readUnsigned() throws -> UInt64 {
        let head = try readHead(expecting: 0, "an unsigned integer")
        return head.argument
    }

    /// An integer of either sign that fits in `Int64`.
    @inlinable public mutating func readInt() throws -> Int64 {
        let start = offset
        let head = try readHead()
        switch head.major {
        case 0:
            guard head.argument <= UInt64(Int64.max) else {
                throw CBORError(.integerOverflow, "integer does not fit in Int64", offset: start)
            }
            return Int64(head.argument)
        case 1:
            guard head.argument <= UInt64(Int64.max) else {
                throw CBORError(.integerOverflow, "integer does not fit in Int64", offset: start)
            }
            return -1 - Int64(head.argument)
        default:
            throw CBORError(.typeMismatch, "expected an integer, found major type \(head.major)", offset: start)
        }
    }

    /// A definite-length byte string, as a slice of the input.
    @inlinable public mutating func readByteString() throws -> ArraySlice<UInt8> {
        let head = try readHead(expecting: 2, "a byte string")
        return try take(stringLength: head)
    }

    /// A definite-length text string.
    public mutating func readTextString() throws -> String {
        let start = offset
        let head = try readHead(expecting: 3, "a text string")
        let utf8 = try take(stringLength: head)
        guard let text = Self.validUTF8(utf8) else {
            throw CBORError(.invalidUTF8, "text string is not valid UTF-8", offset: start)
        }
        return text
    }

    /// The item count of a definite-length array; read that many items next.
    @inlinable public mutating func readArrayHeader() throws -> Int {
        let head = try readHead(expecting: 4, "an array")
        return try containerCount(head, itemsPerEntry: 1)
    }

    /// The pair count of a definite-length map; read that many key/value pairs next.
    @inlinable public mutating func readMapHeader() throws -> Int {
        let head = try readHead(expecting: 5, "a map")
        return try containerCount(head, itemsPerEntry: 2)
    }

    /// A tag number; read the tagged item next.
    @inlinable public mutating func readTag() throws -> UInt64 {
        try readHead(expecting: 6, "a tag").argument
    }

    // MARK: Whole items

    /// The next complete item.
    public mutating func readValue() throws -> CBOR {
        try readValue(depth: 0)
    }

    /// Skips the next complete item, checking that it is well-formed and within the limits
    /// (text strings are not checked for valid UTF-8, map keys not for duplicates).
    public mutating func skipValue() throws {
        try skipValue(depth: 0)
    }

    // MARK: Internals

    @usableFromInline
    struct Head {
        @usableFromInline var major: UInt8
        @usableFromInline var info: UInt8
        @usableFromInline var argument: UInt64
        @inlinable var isIndefinite: Bool { info == 31 }

        @inlinable init(major: UInt8, info: UInt8, argument: UInt64) {
            self.major = major
            self.info = info
            self.argument = argument
        }
    }

    @inlinable mutating func readHead() throws -> Head {
        guard position < input.endIndex else {
            throw CBORError(.truncated, "input ends where an item should start", offset: offset)
        }
        let start = offset
        let initial = input[position]
        position += 1
        itemCount += 1
        guard itemCount <= limits.maxItems else {
            throw CBORError(.itemLimitExceeded, "more than \(limits.maxItems) items", offset: start)
        }
        let major = initial >> 5
        let info = initial & 0x1F
        let argumentLength: Int
        switch info {
        case 0..<24: return Head(major: major, info: info, argument: UInt64(info))
        case 24: argumentLength = 1
        case 25: argumentLength = 2
        case 26: argumentLength = 4
        case 27: argumentLength = 8
        case 31:
            guard major >= 2 && major <= 5 || major == 7 else {
                throw CBORError(.malformed, "major type \(major) cannot be indefinite-length", offset: start)
            }
            return Head(major: major, info: info, argument: 0)
        default:
            throw CBORError(.malformed, "reserved additional information \(info)", offset: start)
        }
        guard input.endIndex - position >= argumentLength else {
            throw CBORError(.truncated, "input ends inside an item head", offset: start)
        }
        var argument: UInt64 = 0
        for _ in 0..<argumentLength {
            argument = argument << 8 | UInt64(input[position])
            position += 1
        }
        return Head(major: major, info: info, argument: argument)
    }

    @inlinable mutating func readHead(expecting major: UInt8, _ what: String) throws -> Head {
        let start = offset
        let head = try readHead()
        guard head.major == major else {
            throw CBORError(.typeMismatch, "expected \(what), found major type \(head.major)", offset: start)
        }
        guard !head.isIndefinite else {
            throw CBORError(.indefiniteLength, "expected a definite-length item", offset: start)
        }
        return head
    }

    /// Validates a definite string length against the limits and the remaining input, then consumes it.
    @inlinable mutating func take(stringLength head: Head) throws -> ArraySlice<UInt8> {
        let remaining = input.endIndex - position
        guard head.argument <= UInt64(limits.maxStringLength) else {
            throw CBORError(.stringTooLong, "string of \(head.argument) bytes exceeds the limit of \(limits.maxStringLength)", offset: offset)
        }
        guard head.argument <= UInt64(remaining) else {
            throw CBORError(.truncated, "string of \(head.argument) bytes but only \(remaining) remain", offset: offset)
        }
        let count = Int(head.argument)
        let slice = input[position..<position + count]
        position += count
        return slice
    }

    /// Validates a definite container size before anything is reserved for it.
    @inlinable func containerCount(_ head: Head, itemsPerEntry: UInt64) throws -> Int {
        let remaining = UInt64(input.endIndex - position)
        let budget = UInt64(Swift.max(limits.maxItems - itemCount, 0))
        // Every item takes at least one byte, so a count larger than the bytes left cannot be honest.
        guard head.argument <= remaining / itemsPerEntry else {
            throw CBORError(.truncated, "container claims \(head.argument) entries but only \(remaining) bytes remain", offset: offset)
        }
        guard head.argument * itemsPerEntry <= budget else {
            throw CBORError(.itemLimitExceeded, "container of \(head.argument) entries exceeds the item limit of \(limits.maxItems)", offset: offset)
        }
        return Int(head.argument)
    }

    /// `bytes` as a string if they are valid UTF-8, else nil. Decoding (which repairs invalid
    /// sequences) and comparing is about twice as fast as `String(validating:as:)` here, and as
    /// exact: a repaired string never has the bytes it was decoded from (U+FFFD's own encoding
    /// is valid UTF-8, so an input holding it is not repaired).
    static func validUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth < maxDepth else {
            throw CBORError(.depthLimitExceeded, "nesting deeper than \(maxDepth)", offset: offset)
        }
    }

    private var atBreak: Bool {
        position < input.endIndex && input[position] == 0xFF
    }

    private mutating func consumeBreak() {
        position += 1
    }

    private mutating func readValue(depth: Int) throws -> CBOR {
        let start = offset
        let head = try readHead()
        switch head.major {
        case 0:
            return .unsignedInt(head.argument)
        case 1:
            return .negativeInt(head.argument)
        case 2:
            if head.isIndefinite {
                return .byteString(try readChunks(major: 2))
            }
            return .byteString(Array(try take(stringLength: head)))
        case 3:
            let utf8: [UInt8]
            if head.isIndefinite {
                utf8 = try readChunks(major: 3)
                // Chunks were validated one by one; a concatenation of valid UTF-8 is valid UTF-8.
                return .textString(String(decoding: utf8, as: UTF8.self))
            }
            let slice = try take(stringLength: head)
            guard let text = Self.validUTF8(slice) else {
                throw CBORError(.invalidUTF8, "text string is not valid UTF-8", offset: start)
            }
            return .textString(text)
        case 4:
            try checkDepth(depth)
            var items: [CBOR] = []
            if head.isIndefinite {
                while !atBreak {
                    items.append(try readValue(depth: depth + 1))
                }
                try expectBreak()
            } else {
                let count = try containerCount(head, itemsPerEntry: 1)
                items.reserveCapacity(count)
                for _ in 0..<count {
                    items.append(try readValue(depth: depth + 1))
                }
            }
            return .array(items)
        case 5:
            try checkDepth(depth)
            var entries: [CBOR.MapEntry] = []
            if head.isIndefinite {
                while !atBreak {
                    let key = try readValue(depth: depth + 1)
                    let value = try readValue(depth: depth + 1)
                    entries.append(CBOR.MapEntry(key: key, value: value))
                }
                try expectBreak()
            } else {
                let count = try containerCount(head, itemsPerEntry: 2)
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try readValue(depth: depth + 1)
                    let value = try readValue(depth: depth + 1)
                    entries.append(CBOR.MapEntry(key: key, value: value))
                }
            }
            try checkUniqueKeys(entries, offset: start)
            return .map(entries)
        case 6:
            try checkDepth(depth)
            return .tagged(head.argument, try readValue(depth: depth + 1))
        default:
            return try simpleOrFloat(head, offset: start)
        }
    }

    private mutating func skipValue(depth: Int) throws {
        let head = try readHead()
        switch head.major {
        case 0, 1:
            return
        case 2, 3:
            if head.isIndefinite {
                _ = try skipChunks(major: head.major)
            } else {
                _ = try take(stringLength: head)
            }
        case 4, 5:
            try checkDepth(depth)
            let perEntry: UInt64 = head.major == 4 ? 1 : 2
            if head.isIndefinite {
                while !atBreak {
                    for _ in 0..<perEntry { try skipValue(depth: depth + 1) }
                }
                try expectBreak()
            } else {
                let count = try containerCount(head, itemsPerEntry: perEntry)
                for _ in 0..<(count * Int(perEntry)) {
                    try skipValue(depth: depth + 1)
                }
            }
        case 6:
            try checkDepth(depth)
            try skipValue(depth: depth + 1)
        default:
            _ = try simpleOrFloat(head, offset: offset)
        }
    }

    private mutating func expectBreak() throws {
        guard atBreak else {
            throw CBORError(.truncated, "input ends inside an indefinite-length item", offset: offset)
        }
        consumeBreak()
    }

    /// Joins the chunks of an indefinite-length string of `major` type 2 or 3.
    private mutating func readChunks(major: UInt8) throws -> [UInt8] {
        var joined: [UInt8] = []
        while !atBreak {
            let start = offset
            let chunk = try readChunk(major: major)
            guard joined.count + chunk.count <= limits.maxStringLength else {
                throw CBORError(.stringTooLong, "indefinite-length string exceeds the limit of \(limits.maxStringLength)", offset: start)
            }
            if major == 3, Self.validUTF8(chunk) == nil {
                throw CBORError(.invalidUTF8, "text string chunk is not valid UTF-8", offset: start)
            }
            joined.append(contentsOf: chunk)
        }
        try expectBreak()
        return joined
    }

    private mutating func skipChunks(major: UInt8) throws -> Int {
        var total = 0
        while !atBreak {
            let start = offset
            total += try readChunk(major: major).count
            guard total <= limits.maxStringLength else {
                throw CBORError(.stringTooLong, "indefinite-length string exceeds the limit of \(limits.maxStringLength)", offset: start)
            }
        }
        try expectBreak()
        return total
    }

    private mutating func readChunk(major: UInt8) throws -> ArraySlice<UInt8> {
        let start = offset
        guard position < input.endIndex else {
            throw CBORError(.truncated, "input ends inside an indefinite-length string", offset: start)
        }
        let head = try readHead()
        guard head.major == major, !head.isIndefinite else {
            throw CBORError(.malformed, "indefinite-length string chunk of the wrong type", offset: start)
        }
        return try take(stringLength: head)
    }

    private func simpleOrFloat(_ head: Head, offset start: Int) throws -> CBOR {
        switch head.info {
        case 20: return .boolean(false)
        case 21: return .boolean(true)
        case 22: return .null
        case 23: return .undefined
        case 0..<20: return .simple(head.info)
        case 24:
            guard head.argument >= 32 else {
                throw CBORError(.malformed, "two-byte simple value \(head.argument) must be at least 32", offset: start)
            }
            return .simple(UInt8(head.argument))
        case 25: return .float(HalfFloat.decode(UInt16(head.argument)))
        case 26: return .float(Double(Float(bitPattern: UInt32(head.argument))))
        case 27: return .float(Double(bitPattern: head.argument))
        default:
            throw CBORError(.malformed, "unexpected break", offset: start)
        }
    }

    private func checkUniqueKeys(_ entries: [CBOR.MapEntry], offset start: Int) throws {
        if entries.count < 2 { return }
        if entries.count <= 8 {
            for i in 1..<entries.count {
                for j in 0..<i where entries[i].key == entries[j].key {
                    throw CBORError(.duplicateMapKey, "map has a duplicate key", offset: start)
                }
            }
            return
        }
        var seen = Set<CBOR>(minimumCapacity: entries.count)
        for entry in entries {
            guard seen.insert(entry.key).inserted else {
                throw CBORError(.duplicateMapKey, "map has a duplicate key", offset: start)
            }
        }
    }
}

extension CBOR {
    /// Decodes exactly one item from `bytes`, enforcing `limits`.
    ///
    /// Throws ``CBORError`` for malformed, truncated or over-limit input and for bytes after the item;
    /// never traps, and never allocates more than the limits allow.
    public init(decoding bytes: [UInt8], limits: CBORLimits = .default) throws {
        try self.init(decoding: bytes[...], limits: limits)
    }

    /// Decodes exactly one item from a slice.
    public init(decoding bytes: ArraySlice<UInt8>, limits: CBORLimits = .default) throws {
        var reader = try CBORReader(bytes, limits: limits)
        self = try reader.readValue()
        try reader.finish()
    }
}
