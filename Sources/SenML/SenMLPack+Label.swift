extension SenMLPack {
    /// The fields RFC 8428 defines (§4.3), each with its CBOR label (§6, Table 4) as raw value.
    enum Label: Int64, CaseIterable, Sendable {
        case bver = -1, bn = -2, bt = -3, bu = -4, bv = -5, bs = -6
        case n = 0, u = 1, v = 2, vs = 3, vb = 4, s = 5, t = 6, ut = 7, vd = 8

        /// The label for a JSON member name (RFC 8428 §5, Table 2), nil for one RFC 8428 does not define.
        init?(name: String) {
            switch name {
            case "bver": self = .bver
            case "bn": self = .bn
            case "bt": self = .bt
            case "bu": self = .bu
            case "bv": self = .bv
            case "bs": self = .bs
            case "n": self = .n
            case "u": self = .u
            case "v": self = .v
            case "vs": self = .vs
            case "vb": self = .vb
            case "s": self = .s
            case "t": self = .t
            case "ut": self = .ut
            case "vd": self = .vd
            default: return nil
            }
        }

        /// The label as JSON writes it.
        var name: String {
            switch self {
            case .bver: "bver"
            case .bn: "bn"
            case .bt: "bt"
            case .bu: "bu"
            case .bv: "bv"
            case .bs: "bs"
            case .n: "n"
            case .u: "u"
            case .v: "v"
            case .vs: "vs"
            case .vb: "vb"
            case .s: "s"
            case .t: "t"
            case .ut: "ut"
            case .vd: "vd"
            }
        }

        /// A bit of its own, to find a label seen twice in a record.
        var bit: UInt32 { 1 << UInt32(rawValue + 8) }
    }

    /// The SenML version this library implements (RFC 8428 §4.4: the default, 10).
    public static let supportedVersion = 10

    /// A label RFC 8428 does not define is ignored, unless its name ends in `_`: the sender marked
    /// it must-understand, and a pack that carries one is refused (RFC 8428 §4.4, §12.2).
    static func checkUnknownLabel(_ name: String) throws(SenMLError) {
        guard name.utf8.last != UInt8(ascii: "_") else {
            throw SenMLError(
                .invalidRecord,
                "a record has a label ending in '_' that this decoder does not understand (RFC 8428 §4.4 asks to refuse the pack)")
        }
    }

    /// A record's `bver`: a positive integer, at most ``supportedVersion`` (RFC 8428 §4.4: a newer
    /// version MUST NOT be used), and the same for every record of the pack, whose version is the
    /// first record's `bver`, 10 without one.
    static func checkVersion(_ version: UInt64, isFirstRecord: Bool, packVersion: inout UInt64) throws(SenMLError) {
        guard version >= 1 else { throw SenMLError(.invalidRecord, "bver is a positive integer (RFC 8428 §4.1)") }
        guard version <= UInt64(supportedVersion) else {
            throw SenMLError(
                .invalidRecord,
                "the pack's SenML version is newer than \(supportedVersion), the one this decoder implements (RFC 8428 §4.4)")
        }
        guard isFirstRecord || version == packVersion else {
            throw SenMLError(.invalidRecord, "the records of a pack have one SenML version (RFC 8428 §4.4), and a bver changes it")
        }
        packVersion = version
    }

    /// At most one of `v`, `vs`, `vb` and `vd` in a record; `s` may come with one (RFC 8428 §4.2).
    static func checkValueFields(_ record: SenMLRecord) throws(SenMLError) {
        guard record.valueFieldCount <= 1 else {
            throw SenMLError(.invalidRecord, "a record has more than one of v, vs, vb and vd (RFC 8428 §4.2)")
        }
    }
}
