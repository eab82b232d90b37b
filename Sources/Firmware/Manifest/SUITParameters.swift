public import CBOR

/// The SUIT parameters this implementation knows (draft-ietf-suit-manifest §8.4.8), as set by
/// `directive-override-parameters` and `directive-set-parameters`. A parameter key outside this
/// list is refused as ``SUITError/Code/unsupported``, never skipped.
public struct SUITParameters: Hashable, Sendable {
    /// Parameter keys (suit-parameter-*).
    public enum Key: Int64, CaseIterable, Sendable {
        case vendorIdentifier = 1
        case classIdentifier = 2
        case imageDigest = 3
        case componentSlot = 5
        case strictOrder = 12
        case softFailure = 13
        case imageSize = 14
        case content = 18
        case uri = 21
        case sourceComponent = 22
        case invokeArguments = 23
        case deviceIdentifier = 24

        /// The draft's name for the parameter.
        public var name: String {
            switch self {
            case .vendorIdentifier: "vendor-id"
            case .classIdentifier: "class-id"
            case .imageDigest: "image-digest"
            case .componentSlot: "component-slot"
            case .strictOrder: "strict-order"
            case .softFailure: "soft-failure"
            case .imageSize: "image-size"
            case .content: "content"
            case .uri: "uri"
            case .sourceComponent: "source-component"
            case .invokeArguments: "invoke-args"
            case .deviceIdentifier: "device-id"
            }
        }
    }

    /// The vendor's UUID (16 bytes), matched by `condition-vendor-identifier`.
    public var vendorID: [UInt8]?
    /// The device class's UUID (16 bytes), matched by `condition-class-identifier`.
    public var classID: [UInt8]?
    /// The image's digest, matched by `condition-image-match`.
    public var imageDigest: SUITDigest?
    /// Which slot of an A/B component.
    public var componentSlot: UInt64?
    public var strictOrder: Bool?
    public var softFailure: Bool?
    /// The image's size in bytes.
    public var imageSize: UInt64?
    /// Content to write (`directive-write`).
    public var content: [UInt8]?
    /// Where to fetch the image from.
    public var uri: String?
    /// The component a `directive-copy` copies from.
    public var sourceComponent: UInt64?
    public var invokeArguments: [UInt8]?
    public var deviceID: [UInt8]?

    /// No parameters.
    public init() {}

    /// The parameters that are set, by key, in key order.
    public var keys: [Key] {
        Key.allCases.filter { has($0) }
    }

    /// Whether `key` is set.
    public func has(_ key: Key) -> Bool {
        switch key {
        case .vendorIdentifier: vendorID != nil
        case .classIdentifier: classID != nil
        case .imageDigest: imageDigest != nil
        case .componentSlot: componentSlot != nil
        case .strictOrder: strictOrder != nil
        case .softFailure: softFailure != nil
        case .imageSize: imageSize != nil
        case .content: content != nil
        case .uri: uri != nil
        case .sourceComponent: sourceComponent != nil
        case .invokeArguments: invokeArguments != nil
        case .deviceIdentifier: deviceID != nil
        }
    }

    /// `other`'s parameters written over these (`directive-override-parameters`).
    public func overridden(by other: SUITParameters) -> SUITParameters {
        var result = self
        result.vendorID = other.vendorID ?? vendorID
        result.classID = other.classID ?? classID
        result.imageDigest = other.imageDigest ?? imageDigest
        result.componentSlot = other.componentSlot ?? componentSlot
        result.strictOrder = other.strictOrder ?? strictOrder
        result.softFailure = other.softFailure ?? softFailure
        result.imageSize = other.imageSize ?? imageSize
        result.content = other.content ?? content
        result.uri = other.uri ?? uri
        result.sourceComponent = other.sourceComponent ?? sourceComponent
        result.invokeArguments = other.invokeArguments ?? invokeArguments
        result.deviceID = other.deviceID ?? deviceID
        return result
    }

    init(cbor value: CBOR, _ path: String) throws {
        for (rawKey, item) in try SUITDecoding.intKeyedMap(value, path) {
            guard let key = Key(rawValue: rawKey) else {
                throw SUITError.unsupported(path, "parameter \(rawKey) is not implemented")
            }
            let here = "\(path).\(key.name)"
            switch key {
            case .vendorIdentifier: vendorID = try Self.uuid(item, here)
            case .classIdentifier: classID = try Self.uuid(item, here)
            case .imageDigest: imageDigest = try SUITDigest(cbor: SUITDecoding.wrapped(item, here), here)
            case .componentSlot: componentSlot = try SUITDecoding.uint(item, here)
            case .strictOrder: strictOrder = try SUITDecoding.bool(item, here)
            case .softFailure: softFailure = try SUITDecoding.bool(item, here)
            case .imageSize: imageSize = try SUITDecoding.uint(item, here)
            case .content: content = try SUITDecoding.bytes(item, here)
            case .uri: uri = try SUITDecoding.text(item, here)
            case .sourceComponent: sourceComponent = try SUITDecoding.uint(item, here)
            case .invokeArguments: invokeArguments = try SUITDecoding.bytes(item, here)
            case .deviceIdentifier: deviceID = try Self.uuid(item, here)
            }
        }
    }

    private static func uuid(_ value: CBOR, _ path: String) throws -> [UInt8] {
        let bytes = try SUITDecoding.bytes(value, path)
        guard bytes.count == 16 else { throw SUITError.malformed(path, "a UUID is 16 bytes, got \(bytes.count)") }
        return bytes
    }

    /// As a CBOR map (the encoder sorts the keys).
    public var cbor: CBOR {
        var entries: [CBOR.MapEntry] = []
        func add(_ key: Key, _ value: CBOR?) {
            if let value { entries.append(CBOR.MapEntry(key: .int(key.rawValue), value: value)) }
        }
        add(.vendorIdentifier, vendorID.map(CBOR.byteString))
        add(.classIdentifier, classID.map(CBOR.byteString))
        add(.imageDigest, imageDigest.map { .byteString($0.cbor.encoded()) })
        add(.componentSlot, componentSlot.map(CBOR.unsignedInt))
        add(.strictOrder, strictOrder.map(CBOR.boolean))
        add(.softFailure, softFailure.map(CBOR.boolean))
        add(.imageSize, imageSize.map(CBOR.unsignedInt))
        add(.content, content.map(CBOR.byteString))
        add(.uri, uri.map(CBOR.textString))
        add(.sourceComponent, sourceComponent.map(CBOR.unsignedInt))
        add(.invokeArguments, invokeArguments.map(CBOR.byteString))
        add(.deviceIdentifier, deviceID.map(CBOR.byteString))
        return .map(entries)
    }
}
