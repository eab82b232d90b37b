#!/usr/bin/env python3
"""CoAP server on aiocoap 0.4.17, plain CoAP only, with the resources of `coap serve`.

Resources: GET /hello; GET, PUT, POST, DELETE /store/KEY (in memory; PUT and POST create with 2.01
or change with 2.04); GET /counter (observable, changes every --tick seconds); GET /large?size=N
(N bytes, default 65536: the lines "%015d\\n" of 0, 1, 2 ... cut at N bytes); POST /upload
(answers 2.04 with the SHA-256 of the body in hex); /.well-known/core. aiocoap reassembles Block1
and serves Block2 itself.

Prints "listening on coap://HOST:PORT" on stdout once it serves, and on stderr a line for each
request and "observers of /counter: N" whenever that number changes. Stops on SIGINT or SIGTERM,
or after --timeout seconds (a backstop: the caller is expected to stop it). aiocoap's DTLS server
(tinydtls) is experimental and not offered here.
"""

import argparse
import asyncio
import hashlib
import os
import signal
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree


def log(line):
    print("aiocoap_server: " + line, file=sys.stderr, flush=True)


def large_body(size):
    return b"".join(b"%015d\n" % k for k in range(size // 16 + 1))[:size]


def build_site(tick):
    import aiocoap
    from aiocoap import resource

    class Hello(resource.Resource):
        async def render_get(self, request):
            return aiocoap.Message(payload=b"hello", content_format=0)

    class Store(resource.Resource, resource.PathCapable):
        """/store/KEY: one level below /store."""

        def __init__(self):
            super().__init__()
            self.values = {}

        def key(self, request):
            path = request.opt.uri_path
            if len(path) != 1 or not path[0]:
                raise aiocoap.error.NotFound()
            return path[0]

        async def render_get(self, request):
            key = self.key(request)
            if key not in self.values:
                return aiocoap.Message(code=aiocoap.NOT_FOUND)
            return aiocoap.Message(payload=self.values[key])

        async def render_put(self, request):
            key = self.key(request)
            existed = key in self.values
            self.values[key] = request.payload
            return aiocoap.Message(code=aiocoap.CHANGED if existed else aiocoap.CREATED)

        render_post = render_put

        async def render_delete(self, request):
            self.values.pop(self.key(request), None)
            return aiocoap.Message(code=aiocoap.DELETED)

    class Counter(resource.ObservableResource):
        def __init__(self):
            super().__init__()
            self.value = 0

        def update_observation_count(self, count):
            log("observers of /counter: %d" % count)

        async def tick_forever(self):
            while True:
                await asyncio.sleep(tick)
                self.value += 1
                self.updated_state()

        async def render_get(self, request):
            return aiocoap.Message(payload=str(self.value).encode(), content_format=0)

    class Large(resource.Resource):
        async def render_get(self, request):
            size = 65536
            for query in request.opt.uri_query:
                if query.startswith("size="):
                    try:
                        size = int(query[5:])
                    except ValueError:
                        return aiocoap.Message(code=aiocoap.BAD_REQUEST)
            if not 0 <= size <= 16 << 20:
                return aiocoap.Message(code=aiocoap.BAD_REQUEST)
            return aiocoap.Message(payload=large_body(size), content_format=0)

    class Upload(resource.Resource):
        async def render_post(self, request):
            return aiocoap.Message(code=aiocoap.CHANGED, payload=hashlib.sha256(request.payload).hexdigest().encode())

    site = resource.Site()
    counter = Counter()
    site.add_resource([".well-known", "core"], resource.WKCResource(site.get_resources_as_linkheader, impl_info=None))
    site.add_resource(["hello"], Hello())
    site.add_resource(["store"], Store())
    site.add_resource(["counter"], counter)
    site.add_resource(["large"], Large())
    site.add_resource(["upload"], Upload())
    return site, counter


class LoggingSite:
    """Wraps the site's render_to_pipe to log each request."""

    def __init__(self, site):
        self.site = site

    def __getattr__(self, name):
        return getattr(self.site, name)

    async def render_to_pipe(self, pipe):
        request = pipe.request
        log("%s /%s%s observe=%s block1=%s block2=%s %d bytes from %s" % (
            request.code, "/".join(request.opt.uri_path),
            "?" + "&".join(request.opt.uri_query) if request.opt.uri_query else "",
            request.opt.observe, request.opt.block1, request.opt.block2, len(request.payload), request.remote.hostinfo))
        return await self.site.render_to_pipe(pipe)


async def serve(args):
    import aiocoap

    site, counter = build_site(args.tick)
    host, _, port = args.bind.rpartition(":")
    context = await aiocoap.Context.create_server_context(LoggingSite(site), bind=(host, int(port)))
    print("listening on coap://%s:%s" % (host, port), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signo, stop.set)
    ticker = asyncio.create_task(counter.tick_forever())
    try:
        await asyncio.wait_for(stop.wait(), args.timeout)
    except (asyncio.TimeoutError, TimeoutError):
        log("time limit of %.0f s reached" % args.timeout)
    ticker.cancel()
    try:
        await asyncio.wait_for(context.shutdown(), 2)
    except Exception:  # noqa: BLE001 - leaving anyway
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", required=True, help="HOST:PORT, e.g. 127.0.0.1:5683 (always give both)")
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between changes of /counter")
    parser.add_argument("--timeout", type=float, default=600.0, help="stop by itself after this many seconds")
    args = parser.parse_args()
    try:
        import aiocoap  # noqa: F401
    except ImportError as error:
        log("%s is not installed: run `make venv`" % error.name)
        sys.exit(2)
    asyncio.run(serve(args))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
