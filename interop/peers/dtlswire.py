"""Reads the cipher suite a DTLS server chose from its ServerHello on the wire (the ServerHello is
sent in the clear), for peers whose DTLS library does not report it (tinydtls via DTLSSocket)."""

import struct

# The suites the peers here can negotiate, by IANA number (RFC 6655, RFC 5487, RFC 5489, RFC 7251,
# RFC 7905, RFC 8442, RFC 5289).
SUITE_NAMES = {
    0xC0A8: "TLS_PSK_WITH_AES_128_CCM_8",
    0xC0A9: "TLS_PSK_WITH_AES_256_CCM_8",
    0xC0A4: "TLS_PSK_WITH_AES_128_CCM",
    0xC0A5: "TLS_PSK_WITH_AES_256_CCM",
    0x00A8: "TLS_PSK_WITH_AES_128_GCM_SHA256",
    0x00A9: "TLS_PSK_WITH_AES_256_GCM_SHA384",
    0x00AE: "TLS_PSK_WITH_AES_128_CBC_SHA256",
    0xC0AE: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
    0xCCAC: "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
    0xCCAB: "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
    0xCCAD: "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
    0x00AA: "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256",
    0x00AB: "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
    0xC037: "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
    0xC038: "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
    0xD001: "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256",
    0xD002: "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384",
    0xD003: "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256",
    0xD005: "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256",
    # certificate suites (X.509 with ECDSA keys, as interop/make-test-pki.sh makes them)
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    0xC0AF: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
}


def server_hello_suite(datagram):
    """The IANA name (or 0xNNNN) of the suite in a ServerHello in this datagram, else None."""
    i = 0
    while i + 13 <= len(datagram):
        content_type = datagram[i]
        epoch = struct.unpack("!H", datagram[i + 3:i + 5])[0]
        length = struct.unpack("!H", datagram[i + 11:i + 13])[0]
        body = datagram[i + 13:i + 13 + length]
        i += 13 + length
        # handshake record, epoch 0 (clear), ServerHello (2), unfragmented start
        if content_type != 22 or epoch != 0 or len(body) < 12 or body[0] != 2:
            continue
        hello = body[12:]
        if len(hello) < 35:
            continue
        session_id_length = hello[34]
        at = 35 + session_id_length
        if len(hello) < at + 2:
            continue
        number = struct.unpack("!H", hello[at:at + 2])[0]
        return SUITE_NAMES.get(number, "0x%04X" % number)
    return None
