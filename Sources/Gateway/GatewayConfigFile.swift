public import Foundation

/// The optional JSON config file: any of these keys; flags given on the command line win. A key
/// it does not know, or a value of the wrong type, is refused with the key's name.
public struct GatewayConfigFile: Decodable, Sendable {
    public var host: String?
    public var port: UInt16?
    public var dtlsPort: UInt16?
    public var plain: Bool?
    public var certificate: String?
    public var privateKey: String?
    public var ca: String?
    public var maxPayloadBytes: Int?
    public var maxRecordsPerMessage: Int?
    public var ratePerDevice: Double?
    public var burstPerDevice: Double?
    public var lockoutThreshold: Int?
    public var lockoutWindowSeconds: Int?
    public var lockoutSeconds: Int?
    public var handshakeTimeoutSeconds: Double?
    public var maxHandshakes: Int?
    public var maxHandshakesPerAddress: Int?
    public var maxSessions: Int?
    public var maxSessionsPerAddress: Int?
    public var maxObservers: Int?
    public var maxObserversPerResource: Int?
    public var maxObserversPerAddress: Int?
    public var maxBlockTransfers: Int?
    public var maxBlockTransfersPerAddress: Int?
    public var durability: String?

    /// Every key a config file may hold.
    public static let keys = [
        "host", "port", "dtlsPort", "plain", "certificate", "privateKey", "ca", "maxPayloadBytes", "maxRecordsPerMessage",
        "ratePerDevice", "burstPerDevice", "lockoutThreshold", "lockoutWindowSeconds", "lockoutSeconds", "handshakeTimeoutSeconds",
        "maxHandshakes", "maxHandshakesPerAddress", "maxSessions", "maxSessionsPerAddress", "maxObservers", "maxObserversPerResource",
        "maxObserversPerAddress", "maxBlockTransfers", "maxBlockTransfersPerAddress", "durability",
    ]

    public init() {}

    /// Reads `path`: a JSON object of known keys with values of the right types.
    public static func read(_ path: String) throws(GatewayError) -> GatewayConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw GatewayError("cannot read \(path)") }
        return try parse(data, source: path)
    }

    /// Parses a config file's bytes; `source` names it in errors.
    public static func parse(_ data: Data, source: String) throws(GatewayError) -> GatewayConfigFile {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GatewayError("\(source) is not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw GatewayError("\(source): unknown key '\(unknown)' (the keys are: \(keys.joined(separator: ", ")))")
        }
        do { return try JSONDecoder().decode(GatewayConfigFile.self, from: data) } catch let DecodingError.typeMismatch(type, context) {
            throw GatewayError("\(source): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' must be \(type)")
        } catch let DecodingError.dataCorrupted(context) {
            throw GatewayError("\(source): '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is out of range or invalid")
        } catch {
            throw GatewayError("\(source) is not a valid config file: \(error)")
        }
    }

    /// Applies the keys given to `configuration`.
    public func apply(to configuration: inout GatewayConfiguration) throws(GatewayError) {
        if let v = maxPayloadBytes { configuration.maxPayloadBytes = v }
        if let v = maxRecordsPerMessage { configuration.maxRecordsPerMessage = v }
        if let v = ratePerDevice { configuration.ratePerDevice = v }
        if let v = burstPerDevice { configuration.burstPerDevice = v }
        if let v = lockoutThreshold { configuration.lockout.threshold = v }
        if let v = lockoutWindowSeconds { configuration.lockout.window = .seconds(v) }
        if let v = lockoutSeconds { configuration.lockout.lockout = .seconds(v) }
        if let v = handshakeTimeoutSeconds {
            guard v > 0, v <= 3600 else { throw GatewayError("handshakeTimeoutSeconds must be more than 0 and at most 3600 (it is \(v))") }
            configuration.handshakeTimeout = .milliseconds(Int64((v * 1000).rounded()))
        }
        if let v = maxHandshakes { configuration.dtlsLimits.maxHandshakes = v }
        if let v = maxHandshakesPerAddress { configuration.dtlsLimits.maxHandshakesPerAddress = v }
        if let v = maxSessions { configuration.dtlsLimits.maxSessions = v }
        if let v = maxSessionsPerAddress { configuration.dtlsLimits.maxSessionsPerAddress = v }
        if let v = maxObservers { configuration.coapLimits.maxObservers = v }
        if let v = maxObserversPerResource { configuration.coapLimits.maxObserversPerResource = v }
        if let v = maxObserversPerAddress { configuration.coapLimits.maxObserversPerAddress = v }
        if let v = maxBlockTransfers { configuration.coapLimits.maxBlockTransfers = v }
        if let v = maxBlockTransfersPerAddress { configuration.coapLimits.maxBlockTransfersPerAddress = v }
    }
}
