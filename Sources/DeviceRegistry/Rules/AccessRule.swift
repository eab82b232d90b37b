public import Foundation

/// An access rule: requests with one of ``methods`` to a path matching ``pattern`` are allowed
/// (or, for a ``Effect/deny`` rule, refused) for one device or for all devices.
///
/// Decision for a request: refused if the device is not active; otherwise refused if any deny rule
/// matches; otherwise allowed if any allow rule matches; otherwise refused (default deny).
public struct AccessRule: Sendable, Codable, Equatable, Identifiable {
    /// Whether a matching rule allows or refuses.
    public enum Effect: String, Sendable, Codable, CaseIterable {
        case allow
        case deny
    }

    /// The CoAP methods a rule may name; `*` stands for all of them.
    public static let knownMethods: Set<String> = ["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "IPATCH"]

    /// The rule id: 16 lowercase hex digits.
    public var id: String
    /// The device the rule applies to, or nil for every device.
    public var deviceID: String?
    /// Upper-case method names, sorted, or `["*"]` for any method.
    public var methods: [String]
    /// The path pattern (see ``PathPattern``).
    public var pattern: String
    /// Allow or deny.
    public var effect: Effect
    /// When the rule was added.
    public var createdAt: Date

    public init(id: String, deviceID: String?, methods: [String], pattern: String, effect: Effect = .allow, createdAt: Date = Date()) {
        self.id = id
        self.deviceID = deviceID
        self.methods = methods
        self.pattern = pattern
        self.effect = effect
        self.createdAt = createdAt
    }

    /// The rule as `"METHODS PATH"`, the form the CLI takes (`GET,POST /readings/{device}`).
    public var specification: String { "\(methods.joined(separator: ",")) \(pattern)" }

    /// Normalizes and checks a list of methods: upper-cased, de-duplicated, sorted; `*` alone means any.
    public static func normalizeMethods(_ methods: [String]) throws -> [String] {
        var result = Set<String>()
        for method in methods {
            let name = method.trimmingCharacters(in: .whitespaces).uppercased()
            guard !name.isEmpty else { continue }
            guard name == "*" || knownMethods.contains(name) else {
                throw DeviceRegistryError(
                    .invalidArgument, "unknown method '\(method)' (use \(knownMethods.sorted().joined(separator: ", ")) or *)")
            }
            result.insert(name)
        }
        guard !result.isEmpty else { throw DeviceRegistryError(.invalidArgument, "a rule needs at least one method") }
        if result.contains("*") { return ["*"] }
        return result.sorted()
    }

    /// Parses `"METHODS PATH"`: methods separated by `,` or `|`, a space, then a path pattern.
    public static func parseSpecification(_ text: String) throws -> (methods: [String], pattern: String) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2 else {
            throw DeviceRegistryError(
                .invalidArgument, "a rule is \"METHODS PATH\", for example \"GET,POST /readings/{device}\" (got '\(text)')")
        }
        let methods = try normalizeMethods(parts[0].split(whereSeparator: { $0 == "," || $0 == "|" }).map(String.init))
        let pattern = try PathPattern(String(parts[1]))
        return (methods, pattern.text)
    }
}
