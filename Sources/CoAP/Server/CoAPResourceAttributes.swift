/// Link-format attributes of a resource (RFC 6690), listed at `/.well-known/core`.
public struct CoAPResourceAttributes: Sendable, Hashable {
    /// `rt`: resource types, e.g. `temperature-c`.
    public var resourceTypes: [String]
    /// `if`: interface descriptions, e.g. `sensor`.
    public var interfaces: [String]
    /// `ct`: content formats the resource serves.
    public var contentFormats: [ContentFormat]
    /// `obs`: GET on the resource can be observed (RFC 7641); the server notifies observers
    /// when `CoAPServer.notifyObservers(of:)` is called for it.
    public var observable: Bool
    /// `sz`: the estimated size of the representation in bytes.
    public var estimatedSize: Int?
    /// `title`.
    public var title: String?

    public init(
        resourceTypes: [String] = [],
        interfaces: [String] = [],
        contentFormats: [ContentFormat] = [],
        observable: Bool = false,
        estimatedSize: Int? = nil,
        title: String? = nil
    ) {
        self.resourceTypes = resourceTypes
        self.interfaces = interfaces
        self.contentFormats = contentFormats
        self.observable = observable
        self.estimatedSize = estimatedSize
        self.title = title
    }

    /// The link-format attributes as name/value pairs (values quoted as RFC 6690 requires).
    var linkAttributes: [(String, String?)] {
        var out: [(String, String?)] = []
        if !resourceTypes.isEmpty { out.append(("rt", "\"\(resourceTypes.joined(separator: " "))\"")) }
        if !interfaces.isEmpty { out.append(("if", "\"\(interfaces.joined(separator: " "))\"")) }
        if !contentFormats.isEmpty {
            let v = contentFormats.map { String($0.rawValue) }.joined(separator: " ")
            out.append(("ct", contentFormats.count == 1 ? v : "\"\(v)\""))
        }
        if let estimatedSize { out.append(("sz", String(estimatedSize))) }
        if let title { out.append(("title", "\"\(title)\"")) }
        return out
    }
}
