public import Foundation

/// Checks for everything an admin provisions, applied before anything is written.
public enum InputValidation {
    /// The most bytes a device id may have.
    public static let maximumDeviceIDLength = 64
    /// The most bytes a DTLS PSK identity may have (OpenSSL and libcoap truncate longer ones).
    public static let maximumPSKIdentityLength = 64
    /// The most bytes a DTLS PSK key may have (libcoap's limit).
    public static let maximumPSKKeyLength = 64
    /// The fewest bytes a DTLS PSK key may have: 16, that is 128 bits (RFC 9257 §6: a PSK MUST be
    /// at least 128 bits long). A shorter key can be found by trying keys offline against one
    /// recorded handshake.
    public static let minimumPSKKeyLength = 16
    /// The most bytes a sealing kid may have.
    public static let maximumKidLength = 64
    /// The length of a sealing secret.
    public static let sealingSecretLength = 32
    /// The COSE algorithms a sealing secret may use: AES-CCM-16-64-128, A128GCM, A256GCM.
    public static let sealingAlgorithms: Set<Int> = [10, 1, 3]
    /// The characters a device id cannot hold, besides whitespace, control and format characters.
    /// `/` and `\` separate path segments (ids are substituted into paths such as
    /// `/readings/{device}`); `?` and `#` end a URI path, and `&` separates query parameters; `%`
    /// starts a percent-encoding, which would give an id two spellings in a URI; `*`, `{` and `}`
    /// are the syntax of access-rule patterns; `:`, like `/`, separates a device id from the rest
    /// of its SenML names (`<device>:...` and `<device>/...` are the device's own), so the names of
    /// a device `a:b` would be device `a`'s names too.
    public static let reservedDeviceIDCharacters: Set<Unicode.Scalar> = ["/", "\\", "?", "#", "&", "%", "*", "{", "}", ":"]

    /// A device id: 1 to 64 bytes of printable UTF-8, without whitespace, control or format
    /// characters or any of ``reservedDeviceIDCharacters``, and neither `.` nor `..` (in a path,
    /// the current and the parent segment).
    public static func checkDeviceID(_ id: String) throws {
        let count = id.utf8.count
        guard count > 0 else { throw DeviceRegistryError(.invalidArgument, "a device id cannot be empty") }
        guard count <= maximumDeviceIDLength else {
            throw DeviceRegistryError(.invalidArgument, "a device id has at most \(maximumDeviceIDLength) bytes (this one has \(count))")
        }
        guard id != ".", id != ".." else {
            throw DeviceRegistryError(.invalidArgument, "a device id cannot be '.' or '..': in a path they name other segments")
        }
        for scalar in id.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .format || reservedDeviceIDCharacters.contains(scalar) {
                throw DeviceRegistryError(
                    .invalidArgument,
                    "a device id must be printable, without whitespace, control characters or any of / \\ ? # & % * { } : (found U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
        }
    }

    /// A PSK identity: 1 to 64 bytes without control characters (U+0000 to U+001F, U+007F to
    /// U+009F: OpenSSL passes identities as C strings, and a TAB or a newline breaks logs and
    /// command lines), format characters (invisible ones such as U+200B and the bidirectional
    /// controls) or whitespace other than U+0020 SPACE, and without a space at either end: an
    /// identity that looks like another is another.
    public static func checkPSKIdentity(_ identity: String) throws {
        let count = identity.utf8.count
        guard count > 0 else { throw DeviceRegistryError(.invalidArgument, "a PSK identity cannot be empty") }
        guard count <= maximumPSKIdentityLength else {
            throw DeviceRegistryError(
                .invalidArgument, "a PSK identity has at most \(maximumPSKIdentityLength) bytes (this one has \(count)); OpenSSL would truncate it")
        }
        guard !identity.utf8.contains(0) else {
            throw DeviceRegistryError(.invalidArgument, "a PSK identity cannot contain a NUL byte; OpenSSL would truncate it")
        }
        for scalar in identity.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format
                || (scalar.properties.isWhitespace && scalar != " ") {
                throw DeviceRegistryError(
                    .invalidArgument,
                    "a PSK identity cannot contain control characters (TAB included), invisible format characters or whitespace other than a space (found U+\(String(scalar.value, radix: 16, uppercase: true)))")
            }
        }
        guard identity.unicodeScalars.first != " ", identity.unicodeScalars.last != " " else {
            throw DeviceRegistryError(.invalidArgument, "a PSK identity cannot start or end with a space")
        }
    }

    /// A PSK key: 16 to 64 bytes.
    public static func checkPSKKey(count: Int) throws {
        guard (minimumPSKKeyLength...maximumPSKKeyLength).contains(count) else {
            throw DeviceRegistryError(
                .invalidArgument,
                "a PSK key has \(minimumPSKKeyLength) to \(maximumPSKKeyLength) bytes (this one has \(count)); 16 random bytes give the 128 bits RFC 9257 asks for")
        }
    }

    /// A kid: 1 to 64 bytes.
    public static func checkKid(_ kid: [UInt8]) throws {
        guard (1...maximumKidLength).contains(kid.count) else {
            throw DeviceRegistryError(.invalidArgument, "a kid has 1 to \(maximumKidLength) bytes (this one has \(kid.count))")
        }
    }

    /// A sealing secret of 32 bytes and a COSE algorithm 10, 1 or 3.
    public static func checkSealing(secretCount: Int, algorithm: Int) throws {
        guard secretCount == sealingSecretLength else {
            throw DeviceRegistryError(.invalidArgument, "a sealing secret has \(sealingSecretLength) bytes (this one has \(secretCount))")
        }
        guard sealingAlgorithms.contains(algorithm) else {
            throw DeviceRegistryError(
                .invalidArgument, "sealing algorithm \(algorithm) is not supported (use 10 = AES-CCM-16-64-128, 1 = A128GCM or 3 = A256GCM)")
        }
    }

    /// Normalizes a SHA-256 fingerprint: colons, spaces and case are ignored; 64 hex digits remain.
    public static func normalizeFingerprint(_ text: String) throws -> String {
        let digits = text.lowercased().filter { $0 != ":" && !$0.isWhitespace }
        guard digits.count == 64, digits.allSatisfy({ $0.isHexDigit }) else {
            throw DeviceRegistryError(.invalidArgument, "a certificate fingerprint is a SHA-256 digest: 64 hex digits (colons allowed)")
        }
        return digits
    }

    /// A certificate subject common name: 1 to 256 bytes, no control characters.
    public static func checkSubject(_ subject: String) throws {
        guard !subject.isEmpty, subject.utf8.count <= 256 else {
            throw DeviceRegistryError(.invalidArgument, "a certificate subject has 1 to 256 bytes")
        }
        guard !subject.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DeviceRegistryError(.invalidArgument, "a certificate subject cannot contain control characters")
        }
    }

    /// Labels: keys 1 to 64 bytes, values up to 256 bytes, no control characters, at most 64 labels.
    public static func checkLabels(_ labels: [String: String]) throws {
        guard labels.count <= 64 else { throw DeviceRegistryError(.invalidArgument, "a device has at most 64 labels") }
        for (key, value) in labels {
            guard !key.isEmpty, key.utf8.count <= 64, value.utf8.count <= 256 else {
                throw DeviceRegistryError(.invalidArgument, "a label key has 1 to 64 bytes and its value at most 256")
            }
            guard !(key + value).unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw DeviceRegistryError(.invalidArgument, "labels cannot contain control characters")
            }
        }
    }

    /// A firmware version: 1 to 64 bytes, printable.
    public static func checkFirmwareVersion(_ version: String) throws {
        guard !version.isEmpty, version.utf8.count <= 64,
              !version.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DeviceRegistryError(.invalidArgument, "a firmware version has 1 to 64 printable bytes")
        }
    }

    /// A validity window: not-before strictly before not-after when both are given.
    public static func checkValidity(notBefore: Date?, notAfter: Date?) throws {
        if let notBefore, let notAfter, notBefore >= notAfter {
            throw DeviceRegistryError(.invalidArgument, "not-before must be earlier than not-after")
        }
    }
}
