/// A CoAP path pattern in an access rule.
///
/// Segments are separated by `/`. A segment is matched literally, except:
/// - `{device}` matches exactly the id of the device asking;
/// - `*` matches any one segment;
/// - `**`, allowed only as the last segment, matches any number of remaining segments (also none).
///
/// The pattern starts with `/`; `/` alone matches the root (no segments). A request path is
/// compared segment by segment, with or without its leading `/`.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case ownDeviceID
        case anySegment
        case anyRemainder
    }

    /// The pattern as written.
    public let text: String
    let segments: [Segment]

    /// Parses and checks a pattern.
    public init(_ text: String) throws {
        guard text.hasPrefix("/") else {
            throw DeviceRegistryError(.invalidArgument, "a path pattern starts with '/' (got '\(text)')")
        }
        guard text.utf8.count <= 255 else {
            throw DeviceRegistryError(.invalidArgument, "a path pattern has at most 255 bytes")
        }
        guard !text.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false) }) else {
            throw DeviceRegistryError(.invalidArgument, "a path pattern cannot contain whitespace or control characters")
        }
        let body = text.dropFirst()
        var segments: [Segment] = []
        if !body.isEmpty {
            let parts = body.split(separator: "/", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() {
                switch part {
                case "{device}": segments.append(.ownDeviceID)
                case "*": segments.append(.anySegment)
                case "**":
                    guard index == parts.count - 1 else {
                        throw DeviceRegistryError(.invalidArgument, "'**' may only be the last segment of a path pattern")
                    }
                    segments.append(.anyRemainder)
                default:
                    guard !part.isEmpty else {
                        throw DeviceRegistryError(.invalidArgument, "a path pattern cannot have an empty segment ('//' or a trailing '/')")
                    }
                    guard !part.contains("{"), !part.contains("}"), !part.contains("*") else {
                        throw DeviceRegistryError(
                            .invalidArgument, "'{device}', '*' and '**' must be whole segments (in '\(text)')")
                    }
                    segments.append(.literal(String(part)))
                }
            }
        }
        self.text = text
        self.segments = segments
    }

    /// Whether `path` (for example `/readings/dev-1`) matches for the device `deviceID`.
    /// Compares UTF-8 bytes segment by segment, in one pass, without allocating.
    public func matches(path: String, deviceID: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in matches(bytes, deviceID: deviceID) }
    }

    private func matches(_ bytes: UnsafeBufferPointer<UInt8>, deviceID: String) -> Bool {
        let slash = UInt8(ascii: "/")
        let end = bytes.count
        var start = end > 0 && bytes[0] == slash ? 1 : 0
        var hasRest = start < end
        for segment in segments {
            if case .anyRemainder = segment { return true }
            guard hasRest else { return false }
            var stop = start
            while stop < end && bytes[stop] != slash { stop += 1 }
            let part = UnsafeBufferPointer(rebasing: bytes[start..<stop])
            switch segment {
            case .literal(let literal): guard literal.utf8.elementsEqual(part) else { return false }
            case .ownDeviceID: guard deviceID.utf8.elementsEqual(part) else { return false }
            case .anySegment: guard !part.isEmpty else { return false }
            case .anyRemainder: return true
            }
            if stop < end {
                start = stop + 1
                hasRest = true
            } else {
                start = end
                hasRest = false
            }
        }
        return !hasRest
    }

    public var description: String { text }
}
