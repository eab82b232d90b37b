/// Where PEM data (a certificate, a private key, a CA bundle) comes from.
public enum PEMSource: Sendable, Equatable {
    /// A PEM file on disk.
    case file(String)
    /// PEM text in memory.
    case memory([UInt8])

    /// PEM text given as a string.
    public static func pem(_ text: String) -> PEMSource { .memory(Array(text.utf8)) }
}
