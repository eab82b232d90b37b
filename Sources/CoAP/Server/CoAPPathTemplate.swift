/// A route path such as `/readings/{device}`: literal segments and named parameters.
public struct CoAPPathTemplate: Hashable, Sendable, CustomStringConvertible {
    enum Segment: Hashable, Sendable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]

    /// Parses a template; `{name}` segments are parameters.
    public init(_ path: String) {
        segments = CoAPRequest.segments(of: path).map { s in
            if s.hasPrefix("{"), s.hasSuffix("}"), s.count > 2 {
                return .parameter(String(s.dropFirst().dropLast()))
            }
            return .literal(s)
        }
    }

    /// `true` when the template has no parameters.
    public var isLiteral: Bool {
        segments.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Matches concrete path segments, returning the parameter values.
    public func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let l): if l != value { return nil }
            case .parameter(let name):
                if value.isEmpty { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }

    /// The template with each parameter replaced by a value.
    public func expand(_ values: [String: String]) -> String? {
        var parts: [String] = []
        for s in segments {
            switch s {
            case .literal(let l): parts.append(l)
            case .parameter(let name):
                guard let v = values[name] else { return nil }
                parts.append(v)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    public var description: String {
        "/" + segments.map { s in
            switch s {
            case .literal(let l): l
            case .parameter(let p): "{\(p)}"
            }
        }.joined(separator: "/")
    }
}
