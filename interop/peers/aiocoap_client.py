#!/usr/bin/env python3
"""CoAP client on aiocoap 0.4.17 (coaps:// through tinydtls/DTLSSocket, PSK only): one request or
an observation, bounded in time.

Prints one JSON object per response on stdout, e.g.
  {"code": "2.05", "payload": "hello", "observe": null, "cipher": "TLS_PSK_WITH_AES_128_CCM_8",
   "size": 5, "sha256": "2cf24d..."}
("cipher" is read from the server's ServerHello on the wire, for coaps:// only; "observe" is the
Observe option of a notification; "size" and "sha256" describe the payload's bytes, which "payload"
shows as UTF-8 with replacements). Diagnostics go to stderr.

Exit codes: 0 success (every response 2.xx, and --observe N responses seen); 1 an error response
(4.xx/5.xx); 2 usage or a missing module; 3 the DTLS handshake failed or did not complete in time
(on a wrong PSK key tinydtls reports nothing and aiocoap would wait out CoAP's ~93 s
retransmission budget; here the time limit ends it); 4 no (or too few) responses in time after the
handshake; 5 anything else. --timeout (default 15 s) bounds the whole run.
"""

import argparse
import asyncio
import hashlib
import json
import logging
import os
import signal
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dtlswire  # noqa: E402

EXIT_OK, EXIT_RESPONSE, EXIT_USAGE, EXIT_HANDSHAKE, EXIT_TIMEOUT, EXIT_OTHER = 0, 1, 2, 3, 4, 5

# What the DTLS side saw, filled in by the hooks below.
dtls_state = {"used": False, "connected": False, "cipher": None, "fatal": None}


def fail(status, message):
    print("aiocoap_client: " + message, file=sys.stderr, flush=True)
    os._exit(status)


def hook_tinydtls():
    """Records the handshake's completion, fatal alerts and the chosen suite: aiocoap's tinydtls
    transport reports none of them to the caller in a usable way."""
    from aiocoap.transports import tinydtls

    connection = tinydtls.DTLSClientConnection
    original_event = connection._event

    def _event(self, level, code):
        dtls_state["used"] = True
        if (level, code) == (tinydtls.LEVEL_NOALERT, tinydtls.DTLS_EVENT_CONNECTED):
            dtls_state["connected"] = True
        elif level == tinydtls.LEVEL_FATAL and code != tinydtls.CODE_CLOSE_NOTIFY:
            dtls_state["fatal"] = code
        return original_event(self, level, code)

    connection._event = _event
    single = connection.SingleConnection
    original_received = single.datagram_received

    def datagram_received(self, data, addr):
        dtls_state["used"] = True
        if dtls_state["cipher"] is None:
            dtls_state["cipher"] = dtlswire.server_hello_suite(data)
        return original_received(self, data, addr)

    single.datagram_received = datagram_received


def report(response):
    code = response.code.dotted  # "2.05"
    print(json.dumps({
        "code": code,
        "payload": response.payload.decode("utf-8", "replace"),
        "observe": response.opt.observe,
        "cipher": dtls_state["cipher"],
        "size": len(response.payload),
        "sha256": hashlib.sha256(response.payload).hexdigest(),
    }), flush=True)
    return code.startswith("2.")


async def run(args):
    import aiocoap

    context = await aiocoap.Context.create_client_context()
    if args.identity is not None:
        context.client_credentials.load_from_dict({
            args.uri.split("/", 3)[0] + "//" + args.uri.split("/", 3)[2] + "/*": {"dtls": {
                "psk": {"ascii": args.key} if args.key is not None else {"hex": args.key_hex},
                "client-identity": {"ascii": args.identity},
            }}})
    elif args.credentials:
        context.client_credentials.load_from_dict(json.load(open(args.credentials)))

    code = {"get": aiocoap.GET, "post": aiocoap.POST, "put": aiocoap.PUT, "delete": aiocoap.DELETE}[args.method]
    payload = args.payload.encode()
    if args.payload_file is not None:
        with open(args.payload_file, "rb") as body:
            payload = body.read()
    request = aiocoap.Message(code=code, uri=args.uri, payload=payload)
    if args.block_size is not None:
        # Block1 requests and later Block2 requests use at most this size; a GET also asks for it
        # from the first block on (RFC 7959 §2.4, early negotiation).
        exponent = args.block_size.bit_length() - 5
        request.remote.maximum_block_size_exp = exponent
        if code == aiocoap.GET:
            from aiocoap.optiontypes import BlockOption
            request.opt.block2 = BlockOption.BlockwiseTuple(0, False, exponent)
    if args.content_format is not None:
        request.opt.content_format = args.content_format
    if args.observe:
        request.opt.observe = 0
    pending = context.request(request)
    all_good = report(await pending.response)
    seen = 1
    if args.observe:
        async for notification in pending.observation:
            all_good = report(notification) and all_good
            seen += 1
            if seen >= args.observe:
                pending.observation.cancel()
                break
        if seen < args.observe:
            fail(EXIT_TIMEOUT, "the observation ended after %d of %d responses" % (seen, args.observe))
        if args.linger:
            # aiocoap deregisters only reactively (RFC 7641 §3.6): it forgets the observation and
            # answers the next notification with RST, if it is still running then.
            await asyncio.sleep(args.linger)
    try:
        await asyncio.wait_for(context.shutdown(), 2)
    except Exception:  # aiocoap's tinydtls transport complains on shutdown; the answer is in
        pass
    return EXIT_OK if all_good else EXIT_RESPONSE


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("uri", help="coap://HOST:PORT/PATH or coaps://HOST:PORT/PATH")
    parser.add_argument("--method", default="get", choices=["get", "post", "put", "delete"])
    parser.add_argument("--payload", default="")
    parser.add_argument("--payload-file", help="read the request body from this file (block-wise when large)")
    parser.add_argument("--block-size", type=int, choices=[16, 32, 64, 128, 256, 512, 1024],
                        help="largest block for Block1 and Block2 transfers (default: aiocoap's 1024)")
    parser.add_argument("--content-format", type=int)
    parser.add_argument("--identity", help="PSK identity (ASCII)")
    parser.add_argument("--key", help="PSK key as ASCII text")
    parser.add_argument("--key-hex", help="PSK key as hex")
    parser.add_argument("--credentials", help="an aiocoap credentials JSON file instead of --identity/--key")
    parser.add_argument("--observe", type=int, default=0, metavar="N",
                        help="observe: wait for N responses (the first one and N-1 notifications)")
    parser.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                        help="with --observe: stay this long after the last response, so that the next "
                             "notification is answered with RST (aiocoap's only way to deregister)")
    parser.add_argument("--timeout", type=float, default=15.0, help="hard limit for the whole run")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()

    if args.identity is not None and (args.key is None) == (args.key_hex is None):
        fail(EXIT_USAGE, "with --identity give exactly one of --key and --key-hex")
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL, stream=sys.stderr)
    # The hard limit, in case the event loop itself is stuck.
    signal.signal(signal.SIGALRM, lambda *_: fail(EXIT_TIMEOUT, "hard time limit of %.1f s reached" % (args.timeout + 2)))
    signal.setitimer(signal.ITIMER_REAL, args.timeout + 2)
    try:
        import aiocoap  # noqa: F401
        if args.uri.startswith("coaps://"):
            import DTLSSocket  # noqa: F401
            hook_tinydtls()
    except ImportError as error:
        fail(EXIT_USAGE, "%s is not installed: run `make venv`" % error.name)

    try:
        status = asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except (asyncio.TimeoutError, TimeoutError):
        if dtls_state["used"] and not dtls_state["connected"]:
            fail(EXIT_HANDSHAKE, "no DTLS handshake within %.1f s (tinydtls reports nothing; a wrong PSK key does this)" % args.timeout)
        fail(EXIT_TIMEOUT, "no complete answer within %.1f s" % args.timeout)
    except Exception as error:  # noqa: BLE001
        if dtls_state["fatal"] is not None or (dtls_state["used"] and not dtls_state["connected"]):
            how = "ended by alert %s" % dtls_state["fatal"] if dtls_state["fatal"] is not None else "did not complete"
            fail(EXIT_HANDSHAKE, "DTLS handshake %s: %s: %s" % (how, type(error).__name__, error))
        fail(EXIT_OTHER, "%s: %s" % (type(error).__name__, error))
    sys.stdout.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
