#!/usr/bin/env python3
"""aiocoap 0.4.17's server answering GET / the way coap-bench-server and libcoap's example server
do (2.05, Max-Age 0x2ffff, the same 138-byte text, no Content-Format), for run-coap-bench.sh.

    .venv/bin/python Benchmarks/aiocoap-bench-server.py [PORT]     (0 or absent: pick one)

Binds 127.0.0.1 only, prints "listening on PORT" once it serves, runs until SIGTERM or SIGINT.
"""

import asyncio
import signal
import socket
import sys

sys.dont_write_bytecode = True

import aiocoap
from aiocoap import resource

INDEX = (b"This is a test server made with libcoap (see https://libcoap.net)\n"
         b"Copyright (C) 2010--2022 Olaf Bergmann <bergmann@tzi.org> and others\n\n")


class Index(resource.Resource):
    async def render_get(self, request):
        return aiocoap.Message(code=aiocoap.CONTENT, payload=INDEX, max_age=0x2FFFF)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "0" else free_port()
    site = resource.Site()
    site.add_resource([], Index())
    context = await aiocoap.Context.create_server_context(site, bind=("127.0.0.1", port))
    print(f"listening on {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await context.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
