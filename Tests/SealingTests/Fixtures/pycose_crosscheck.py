#!/usr/bin/env python3
"""Cross-check SecureCoAP sealed payloads against pycose 1.1.0 (docs/sealed-format.md).

Reads one JSON request on stdin and writes one JSON reply on stdout:
  {"open": [case, ...], "seal": [case, ...]}
  open case: {"secret", "device", "message"}                       (hex strings)
             -> {"plaintext", "kid", "seq", "content_format", "alg", "nonce_from"}
  seal case: {"secret", "device", "kid", "alg", "seq", "content_format", "plaintext"}
             -> {"message"} or {"skipped": reason}

Keys and Base IVs are derived here independently (cryptography's HKDF, cbor2 for the info).
pycose 1.1.0 builds a Partial-IV nonce as a minimal-length integer, so a Base IV whose first byte
is 0x00 yields a short nonce. For opening, such cases get the full nonce through the IV header
(unprotected, so outside the AAD); for sealing they are skipped.
"""
import json
import sys

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pycose import algorithms, headers
from pycose.keys import SymmetricKey
from pycose.messages import CoseMessage, Enc0Message

CONTEXT = "coap-seal/1"
ALGORITHMS = {10: algorithms.AESCCM1664128, 1: algorithms.A128GCM, 3: algorithms.A256GCM}
KEY_LENGTH = {10: 16, 1: 16, 3: 32}
IV_LENGTH = {10: 13, 1: 12, 3: 12}


def derive(secret, kid, alg, label, length):
    info = cbor2.dumps([CONTEXT, kid, alg, label, length])
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def external_aad(device):
    return cbor2.dumps([CONTEXT, device])


def make_key(key, base_iv):
    cose_key = SymmetricKey(k=key)
    cose_key.base_iv = base_iv
    return cose_key


def open_case(case):
    secret = bytes.fromhex(case["secret"])
    msg = CoseMessage.decode(bytes.fromhex(case["message"]))
    if not isinstance(msg, Enc0Message):
        raise ValueError("not a COSE_Encrypt0 message")
    alg = msg.get_attr(headers.Algorithm).identifier
    kid = msg.get_attr(headers.KID)
    piv = msg.get_attr(headers.PartialIV)
    key = derive(secret, kid, alg, "key", KEY_LENGTH[alg])
    base_iv = derive(secret, kid, alg, "iv", IV_LENGTH[alg])
    nonce_from = "partial-iv"
    if base_iv[0] == 0:
        padded = piv.rjust(len(base_iv), b"\0")
        msg.uhdr_update({headers.IV: bytes(a ^ b for a, b in zip(padded, base_iv))})
        nonce_from = "iv-header"
    msg.key = make_key(key, base_iv)
    msg.external_aad = external_aad(case["device"])
    plaintext = msg.decrypt()
    return {
        "plaintext": plaintext.hex(),
        "kid": kid.hex(),
        "seq": int.from_bytes(piv, "big"),
        "content_format": msg.get_attr(headers.ContentType),
        "alg": alg,
        "nonce_from": nonce_from,
    }


def seal_case(case):
    secret = bytes.fromhex(case["secret"])
    kid = bytes.fromhex(case["kid"])
    alg = case["alg"]
    seq = case["seq"]
    key = derive(secret, kid, alg, "key", KEY_LENGTH[alg])
    base_iv = derive(secret, kid, alg, "iv", IV_LENGTH[alg])
    if base_iv[0] == 0:
        return {"skipped": "Base IV starts with 0x00 (pycose 1.1.0 short-nonce quirk)"}
    piv = seq.to_bytes(max(1, (seq.bit_length() + 7) // 8), "big")
    msg = Enc0Message(
        phdr={headers.Algorithm: ALGORITHMS[alg], headers.ContentType: case["content_format"]},
        uhdr={headers.KID: kid, headers.PartialIV: piv},
        payload=bytes.fromhex(case["plaintext"]),
        external_aad=external_aad(case["device"]),
    )
    msg.key = make_key(key, base_iv)
    return {"message": msg.encode().hex()}


def main():
    request = json.load(sys.stdin)
    reply = {
        "open": [open_case(c) for c in request.get("open", [])],
        "seal": [seal_case(c) for c in request.get("seal", [])],
    }
    json.dump(reply, sys.stdout)


if __name__ == "__main__":
    main()
