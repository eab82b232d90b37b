"""Just enough CoAP (RFC 7252) message encoding for the peer scripts: a request with Uri-Path and
Uri-Query options, and a response parser. No dependencies."""

import struct

CON, NON, ACK, RST = 0, 1, 2, 3
METHODS = {"get": 1, "post": 2, "put": 3, "delete": 4}
URI_PATH, CONTENT_FORMAT, URI_QUERY = 11, 12, 15


def code_text(code):
    """0x45 -> '2.05'."""
    return "%d.%02d" % (code >> 5, code & 0x1F)


def _option_part(value):
    if value < 13:
        return value, b""
    if value < 269:
        return 13, bytes([value - 13])
    return 14, struct.pack("!H", value - 269)


def encode(mtype, code, mid, token, options=(), payload=b""):
    """options: (number, bytes) pairs, in any order."""
    out = bytearray([0x40 | (mtype << 4) | len(token), code]) + struct.pack("!H", mid) + token
    previous = 0
    for number, value in sorted(options, key=lambda o: o[0]):
        delta, delta_ext = _option_part(number - previous)
        length, length_ext = _option_part(len(value))
        out += bytes([(delta << 4) | length]) + delta_ext + length_ext + value
        previous = number
    if payload:
        out += b"\xff" + payload
    return bytes(out)


def request(method, path, mid, token, query=(), payload=b"", content_format=None, mtype=CON):
    options = [(URI_PATH, segment.encode()) for segment in path.strip("/").split("/") if segment]
    options += [(URI_QUERY, q.encode()) for q in query]
    if content_format is not None:
        options.append((CONTENT_FORMAT, b"" if content_format == 0 else content_format.to_bytes((content_format.bit_length() + 7) // 8, "big")))
    return encode(mtype, METHODS[method], mid, token, options, payload)


def decode(data):
    """Returns a dict: type, code, mid, token, options [(number, bytes)], payload; raises ValueError."""
    if len(data) < 4 or data[0] >> 6 != 1:
        raise ValueError("not a CoAP message")
    tkl = data[0] & 0x0F
    if tkl > 8 or len(data) < 4 + tkl:
        raise ValueError("bad token length")
    mtype, code, mid = (data[0] >> 4) & 3, data[1], struct.unpack("!H", data[2:4])[0]
    token, i, number, options = data[4:4 + tkl], 4 + tkl, 0, []
    while i < len(data) and data[i] != 0xFF:
        delta, length = data[i] >> 4, data[i] & 0x0F
        i += 1
        values = []
        for nibble in (delta, length):
            if nibble == 13:
                values.append(data[i] + 13)
                i += 1
            elif nibble == 14:
                values.append(struct.unpack("!H", data[i:i + 2])[0] + 269)
                i += 2
            elif nibble == 15:
                raise ValueError("reserved option nibble")
            else:
                values.append(nibble)
        number += values[0]
        options.append((number, bytes(data[i:i + values[1]])))
        i += values[1]
        if i > len(data):
            raise ValueError("option runs past the end")
    payload = bytes(data[i + 1:]) if i < len(data) else b""
    return {"type": mtype, "code": code, "mid": mid, "token": bytes(token), "options": options, "payload": payload}
