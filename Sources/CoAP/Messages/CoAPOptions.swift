/// The options of a CoAP message, kept in option-number order, with typed accessors for the
/// RFC 7252, 7641 and 7959 options.
public struct CoAPOptions: Hashable, Sendable, Sequence, CustomStringConvertible {
    private var storage: [CoAPOption] = []

    public init() {}

    /// Room for `capacity` options before the storage grows (a parsed request's options).
    init(reservingCapacity capacity: Int) { storage.reserveCapacity(capacity) }
    public init(_ options: [CoAPOption]) {
        for o in options { append(o) }
    }

    public func makeIterator() -> IndexingIterator<[CoAPOption]> { storage.makeIterator() }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Adds an option after any others with the same number (repeatable options keep their order).
    public mutating func append(_ option: CoAPOption) {
        // Options arrive in order from the wire: appending at the end is the common case.
        if let last = storage.last, last.number > option.number {
            storage.insert(option, at: storage.firstIndex { $0.number > option.number } ?? storage.endIndex)
        } else {
            storage.append(option)
        }
    }

    /// Replaces every option with this number by the given values.
    public mutating func set(_ number: CoAPOptionNumber, values: [[UInt8]]) {
        remove(number)
        for v in values { append(CoAPOption(number, v)) }
    }

    public mutating func remove(_ number: CoAPOptionNumber) {
        storage.removeAll { $0.number == number }
    }

    /// All values of an option, in order.
    public func values(_ number: CoAPOptionNumber) -> [[UInt8]] {
        storage.lazy.filter { $0.number == number }.map(\.value)
    }

    /// The first value of an option.
    public func first(_ number: CoAPOptionNumber) -> CoAPOption? {
        storage.first { $0.number == number }
    }

    public func contains(_ number: CoAPOptionNumber) -> Bool { first(number) != nil }

    private func uint(_ number: CoAPOptionNumber) -> UInt64? { first(number)?.uintValue }
    private mutating func setUInt(_ number: CoAPOptionNumber, _ value: UInt64?) {
        remove(number)
        if let value { append(CoAPOption(number, uint: value)) }
    }
    private func strings(_ number: CoAPOptionNumber) -> [String] {
        values(number).map { String(decoding: $0, as: UTF8.self) }
    }
    private mutating func setStrings(_ number: CoAPOptionNumber, _ strings: [String]) {
        set(number, values: strings.map { Array($0.utf8) })
    }

    /// Uri-Path segments.
    public var uriPath: [String] {
        get { strings(.uriPath) }
        set { setStrings(.uriPath, newValue) }
    }
    /// Uri-Query arguments (`key=value`).
    public var uriQuery: [String] {
        get { strings(.uriQuery) }
        set { setStrings(.uriQuery, newValue) }
    }
    /// Location-Path segments.
    public var locationPath: [String] {
        get { strings(.locationPath) }
        set { setStrings(.locationPath, newValue) }
    }
    /// Location-Query arguments.
    public var locationQuery: [String] {
        get { strings(.locationQuery) }
        set { setStrings(.locationQuery, newValue) }
    }
    public var contentFormat: ContentFormat? {
        get { uint(.contentFormat).map { ContentFormat(UInt16(truncatingIfNeeded: $0)) } }
        set { setUInt(.contentFormat, newValue.map { UInt64($0.rawValue) }) }
    }
    public var accept: ContentFormat? {
        get { uint(.accept).map { ContentFormat(UInt16(truncatingIfNeeded: $0)) } }
        set { setUInt(.accept, newValue.map { UInt64($0.rawValue) }) }
    }
    /// Max-Age in seconds (default 60 when absent, RFC 7252 §5.10.5).
    public var maxAge: UInt32? {
        get { uint(.maxAge).map { UInt32(truncatingIfNeeded: $0) } }
        set { setUInt(.maxAge, newValue.map(UInt64.init)) }
    }
    /// ETag values (a response carries one; a GET may carry several).
    public var eTags: [[UInt8]] {
        get { values(.eTag) }
        set { set(.eTag, values: newValue) }
    }
    public var ifMatch: [[UInt8]] {
        get { values(.ifMatch) }
        set { set(.ifMatch, values: newValue) }
    }
    public var ifNoneMatch: Bool {
        get { contains(.ifNoneMatch) }
        set { set(.ifNoneMatch, values: newValue ? [[]] : []) }
    }
    /// Observe: 0 registers, 1 deregisters (requests); a sequence number (notifications).
    public var observe: UInt32? {
        get { uint(.observe).map { UInt32(truncatingIfNeeded: $0) } }
        set { setUInt(.observe, newValue.map(UInt64.init)) }
    }
    public var block1: CoAPBlockOption? {
        get { first(.block1).flatMap(CoAPBlockOption.init(option:)) }
        set { remove(.block1); if let newValue { append(newValue.option(.block1)) } }
    }
    public var block2: CoAPBlockOption? {
        get { first(.block2).flatMap(CoAPBlockOption.init(option:)) }
        set { remove(.block2); if let newValue { append(newValue.option(.block2)) } }
    }
    public var size1: UInt32? {
        get { uint(.size1).map { UInt32(truncatingIfNeeded: $0) } }
        set { setUInt(.size1, newValue.map(UInt64.init)) }
    }
    public var size2: UInt32? {
        get { uint(.size2).map { UInt32(truncatingIfNeeded: $0) } }
        set { setUInt(.size2, newValue.map(UInt64.init)) }
    }

    public var description: String { storage.map(\.description).joined(separator: ", ") }
}
