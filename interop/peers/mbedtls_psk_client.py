#!/usr/bin/env python3
"""DTLS-PSK CoAP client on python-mbedtls (Mbed TLS 2.28): one handshake that offers exactly one
cipher suite, then one CoAP request, then the response.

Prints one JSON object on stdout:
  {"cipher": "TLS-PSK-WITH-AES-128-CCM-8", "version": "DTLSv1.2", "code": "2.05", "payload": "hello"}
(cipher and version as Mbed TLS reports them after the handshake). Diagnostics go to stderr.

Exit codes: 0 success response (2.xx); 1 error response (4.xx/5.xx); 2 usage or missing module;
3 DTLS handshake failed or timed out (a wrong key is refused silently: it ends here by timeout);
4 no CoAP response in time after the handshake; 5 anything else. A hard limit (--timeout, default
15 s) bounds the whole run whatever happens.
"""

import argparse
import json
import os
import select
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coapmsg  # noqa: E402

EXIT_OK, EXIT_RESPONSE, EXIT_USAGE, EXIT_HANDSHAKE, EXIT_TIMEOUT, EXIT_OTHER = 0, 1, 2, 3, 4, 5


def fail(status, message):
    print("mbedtls_psk_client: " + message, file=sys.stderr, flush=True)
    os._exit(status)


def mbedtls_cipher_name(name):
    """Accepts the IANA form (TLS_PSK_WITH_AES_128_CCM_8) or Mbed TLS's (TLS-PSK-WITH-AES-128-CCM-8)."""
    return name.strip().upper().replace("_", "-")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("uri", help="coaps://HOST:PORT/PATH (IPv4 literal or name)")
    parser.add_argument("--identity", required=True)
    parser.add_argument("--key", help="PSK key as text")
    parser.add_argument("--key-hex", help="PSK key as hex")
    parser.add_argument("--cipher", action="append", required=True,
                        help="cipher suite to offer (repeatable), e.g. TLS_PSK_WITH_AES_128_CCM_8")
    parser.add_argument("--method", default="get", choices=sorted(coapmsg.METHODS))
    parser.add_argument("--payload", default="")
    parser.add_argument("--handshake-timeout", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=15.0, help="hard limit for the whole run")
    parser.add_argument("--debug", action="store_true", help="trace the handshake on stderr")
    args = parser.parse_args()

    # The hard limit: whatever hangs, the process ends.
    signal.signal(signal.SIGALRM, lambda *_: fail(EXIT_TIMEOUT, "hard time limit of %.1f s reached" % args.timeout))
    signal.setitimer(signal.ITIMER_REAL, args.timeout)

    if (args.key is None) == (args.key_hex is None):
        fail(EXIT_USAGE, "give exactly one of --key and --key-hex")
    key = args.key.encode() if args.key is not None else bytes.fromhex(args.key_hex)
    if not args.uri.startswith("coaps://"):
        fail(EXIT_USAGE, "the URI must be coaps://HOST:PORT/PATH")
    rest = args.uri[len("coaps://"):]
    hostport, _, path = rest.partition("/")
    path, _, query = path.partition("?")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        host, port = hostport, "5684"

    try:
        from mbedtls import tls
    except ImportError as error:
        fail(EXIT_USAGE, "python-mbedtls is not installed (%s): run `make venv`" % error)

    ciphers = [mbedtls_cipher_name(c) for c in args.cipher]
    unknown = [c for c in ciphers if c not in tls.ciphers_available()]
    if unknown:
        fail(EXIT_USAGE, "this Mbed TLS does not offer %s" % ", ".join(unknown))

    config = tls.DTLSConfiguration(
        pre_shared_key=(args.identity, key),
        ciphers=ciphers,
        validate_certificates=False,
        lowest_supported_version=tls.DTLSVersion.DTLSv1_2,
        handshake_timeout_min=0.5,
        handshake_timeout_max=args.handshake_timeout,
    )
    buffer = tls.ClientContext(config).wrap_buffers(server_hostname=None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((host, int(port)))
    sock.setblocking(False)

    def flush():
        while True:
            out = buffer.peek_outgoing(65536)
            if not out:
                return
            sock.send(out)
            buffer.consume_outgoing(len(out))
            if args.debug:
                print("  -> %d bytes" % len(out), file=sys.stderr)

    def receive(wait):
        """Feeds one datagram to Mbed TLS if one arrives within `wait` seconds; False otherwise."""
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            return False
        try:
            data = sock.recv(65536)
        except ConnectionRefusedError:
            fail(EXIT_HANDSHAKE, "ICMP port unreachable: nothing listens on %s:%s" % (host, port))
        if args.debug:
            print("  <- %d bytes" % len(data), file=sys.stderr)
        buffer.receive_from_network(data)
        return True

    # The handshake: Mbed TLS's own timer retransmits flights (0.5 s doubling up to
    # --handshake-timeout, then MBEDTLS_ERR_SSL_TIMEOUT) as long as do_handshake is called again.
    deadline = time.monotonic() + args.handshake_timeout + 1.0
    started = time.monotonic()
    while buffer._handshake_state is not tls.HandshakeStep.HANDSHAKE_OVER:
        if time.monotonic() > deadline:
            fail(EXIT_HANDSHAKE, "no DTLS handshake within %.1f s (a wrong PSK key is refused silently)" % args.handshake_timeout)
        try:
            buffer.do_handshake()
        except tls.WantReadError:
            flush()
            receive(0.05)
        except tls.WantWriteError:
            flush()
        except tls.TLSError as error:
            fail(EXIT_HANDSHAKE, "DTLS handshake failed: %s" % error)
        else:
            flush()
    cipher = buffer.cipher()
    version = buffer.negotiated_tls_version()
    handshake_ms = (time.monotonic() - started) * 1000
    if args.debug:
        print("handshake done: %r %r in %.0f ms" % (cipher, version, handshake_ms), file=sys.stderr)

    token, mid = os.urandom(4), int.from_bytes(os.urandom(2), "big")
    message = coapmsg.request(args.method, path, mid, token, query=[q for q in query.split("&") if q],
                              payload=args.payload.encode())

    def send_app(data):
        buffer.write(data)
        flush()

    send_app(message)
    deadline = time.monotonic() + max(1.0, args.timeout - (time.monotonic() - started) - 0.5)
    next_retransmit, interval = time.monotonic() + 2.0, 2.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_retransmit:
            send_app(message)
            interval *= 2
            next_retransmit = time.monotonic() + interval
        if not receive(0.1):
            continue
        while True:
            try:
                plain = buffer.read(65536)
            except tls.WantReadError:
                break
            except tls.TLSError as error:
                fail(EXIT_OTHER, "DTLS error after the handshake: %s" % error)
            if not plain:
                break
            try:
                response = coapmsg.decode(plain)
            except ValueError as error:
                print("mbedtls_psk_client: ignoring a datagram: %s" % error, file=sys.stderr)
                continue
            if response["type"] == coapmsg.ACK and response["code"] == 0 and response["mid"] == mid:
                next_retransmit = float("inf")  # empty ACK: the response follows separately
                continue
            if response["token"] != token or response["code"] >> 5 < 2:
                continue
            if response["type"] == coapmsg.CON:
                send_app(coapmsg.encode(coapmsg.ACK, 0, response["mid"], b""))
            code = coapmsg.code_text(response["code"])
            print(json.dumps({
                "cipher": cipher if isinstance(cipher, str) else str(cipher),
                "version": version.name if hasattr(version, "name") else str(version),
                "code": code,
                "payload": response["payload"].decode("utf-8", "replace"),
            }), flush=True)
            try:
                buffer.shutdown()
                flush()
            except Exception:  # close_notify is a courtesy
                pass
            os._exit(EXIT_OK if code.startswith("2.") else EXIT_RESPONSE)
    fail(EXIT_TIMEOUT, "DTLS handshake done (%s) but no CoAP response to %s %s" % (cipher, args.method.upper(), args.uri))


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - one clear line and a distinct status
        fail(EXIT_OTHER, "%s: %s" % (type(error).__name__, error))
