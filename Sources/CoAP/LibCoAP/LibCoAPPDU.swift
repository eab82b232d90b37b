internal import CLibCoAP
#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing libcoap PDUs. Loop thread only.
enum LibCoAPPDU {
    /// Options libcoap manages itself in block mode; never copied into outgoing PDUs.
    static func isManagedByLibCoAP(_ number: CoAPOptionNumber) -> Bool {
        number == .block1 || number == .block2 || number == .size1 || number == .size2
    }

    static func options(of pdu: OpaquePointer) -> CoAPOptions {
        var options = CoAPOptions(reservingCapacity: 8)
        var iterator = coap_opt_iterator_t()
        guard coap_option_iterator_init(pdu, &iterator, nil) != nil else { return options }
        while let opt = coap_option_next(&iterator) {
            let length = Int(coap_opt_length(opt))
            let value: [UInt8]
            if length > 0, let p = coap_opt_value(opt) {
                value = Array(UnsafeBufferPointer(start: p, count: length))
            } else {
                value = []
            }
            options.append(CoAPOption(CoAPOptionNumber(iterator.number), value))
        }
        return options
    }

    /// The whole body (libcoap has reassembled block-wise transfers in SINGLE_BODY mode).
    static func payload(of pdu: OpaquePointer) -> [UInt8] {
        var length = 0
        var data: UnsafePointer<UInt8>?
        var offset = 0
        var total = 0
        guard coap_get_data_large(pdu, &length, &data, &offset, &total) != 0, let data, length > 0 else {
            return []
        }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    static func token(of pdu: OpaquePointer) -> [UInt8] {
        let t = coap_pdu_get_token(pdu)
        guard t.length > 0, let s = t.s else { return [] }
        return Array(UnsafeBufferPointer(start: s, count: t.length))
    }

    /// Packs a token of up to 8 bytes into an integer key.
    static func tokenKey(_ token: [UInt8]) -> UInt64 {
        token.reduce(UInt64(token.count) << 60) { ($0 << 8) ^ UInt64($1) }
    }

    static func type(of pdu: OpaquePointer) -> CoAPMessageType {
        CoAPMessageType(rawValue: UInt8(truncatingIfNeeded: coap_pdu_get_type(pdu).rawValue)) ?? .confirmable
    }

    static func code(of pdu: OpaquePointer) -> UInt8 {
        UInt8(truncatingIfNeeded: coap_pdu_get_code(pdu).rawValue)
    }

    /// Adds options in order; the PDU must not hold options with higher numbers already.
    static func add(_ options: CoAPOptions, to pdu: OpaquePointer, skipping skip: (CoAPOptionNumber) -> Bool = { _ in false }) -> Bool {
        for option in options where !skip(option.number) {
            let ok = option.value.withUnsafeBufferPointer { buffer in
                coap_add_option(pdu, option.number.rawValue, buffer.count, buffer.baseAddress) != 0
            }
            if !ok { return false }
        }
        return true
    }

    static func addToken(_ token: [UInt8], to pdu: OpaquePointer) {
        token.withUnsafeBufferPointer { _ = coap_add_token(pdu, $0.count, $0.baseAddress) }
    }

    static func pduType(_ type: CoAPMessageType) -> coap_pdu_type_t {
        coap_pdu_type_t(rawValue: UInt32(type.rawValue))
    }

    static func pduCode(_ raw: UInt8) -> coap_pdu_code_t {
        coap_pdu_code_t(rawValue: UInt32(raw))
    }
}

/// A heap copy of a body handed to libcoap's large-data API, freed by libcoap's release callback.
enum LargeBody {
    static func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        bytes.withUnsafeBufferPointer { if let base = $0.baseAddress { p.initialize(from: base, count: $0.count) } }
        return p
    }

    /// Matches `coap_release_large_data_t`.
    static let release: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Void = { _, pointer in
        pointer?.deallocate()
    }
}
