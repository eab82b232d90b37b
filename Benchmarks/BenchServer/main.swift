// coap-bench-server: our CoAPServer with a handler that does not suspend, for
// Benchmarks/run-coap-bench.sh to load next to libcoap's coap-server-notls.
//
//   coap-bench-server [PORT]      (PORT 0 or absent: the system picks; printed)
//
// Listens on 127.0.0.1 only. Prints "listening on PORT" once it serves, and runs until SIGTERM or
// SIGINT, then shuts down and exits 0.
//
// What it serves is what coap-server-notls serves at its root resource "/" (hnd_get_index in
// libcoap 4.3.1's examples/coap-server.c): the same 138-byte text with 2.05 Content and Max-Age
// 196607 (0x2ffff). libcoap 4.3.1's coap_add_data_large_response leaves out Content-Format when
// it is text/plain (0), so we leave it out too: the responses are the same bytes on the wire.
// It is served at `/bench` and also at `/`, so the load generator can send byte-identical
// requests to both servers (the script uses `/`).

import CoAP
import Logging

#if canImport(Glibc)
import Glibc
#endif

let indexText =
    "This is a test server made with libcoap (see https://libcoap.net)\n"
    + "Copyright (C) 2010--2022 Olaf Bergmann <bergmann@tzi.org> and others\n\n"

func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    writeStderr("coap-bench-server: \(message)\n")
    exit(2)
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains(where: { $0 == "-h" || $0 == "--help" }) || arguments.count > 1 {
    writeStderr("usage: coap-bench-server [PORT]   (0 or absent: pick a free port)\n")
    exit(arguments.count > 1 ? 2 : 0)
}
// SIGTERM and SIGINT are blocked in every thread (threads inherit the mask, so block them before
// any starts) and taken synchronously by the main thread with sigwait at the end.
var blocked = sigset_t()
sigemptyset(&blocked)
sigaddset(&blocked, SIGTERM)
sigaddset(&blocked, SIGINT)
pthread_sigmask(SIG_BLOCK, &blocked, nil)

guard let requestedPort = UInt16(arguments.first ?? "0") else { fail("bad port \(arguments.first ?? "")") }

var logger = Logger(label: "coap-bench-server")
logger.logLevel = .warning

// Built once: the handler only returns it (no suspension, no allocation beyond the copy-on-write
// reference), so every request is answered piggybacked in the ACK.
var options = CoAPOptions()
options.maxAge = 0x2ffff
let response = CoAPResponse(code: .content, payload: Array(indexText.utf8), options: options)

var router = CoAPRouter()
// `/` (what the benchmark compares) uses a synchronous handler, called on the loop thread with no
// task per request; `/bench` is the same response from an async handler that does not suspend.
router.get("/bench") { _ in response }
router.on(.get, "/", synchronous: { _ in response })

let server: CoAPServer
do {
    server = try CoAPServer(configuration: .init(host: "127.0.0.1", port: requestedPort), router: router, logger: logger)
    try server.start()
} catch {
    fail("cannot start: \(error)")
}
guard let port = server.port else { fail("no listening port") }
print("listening on \(port)")
fflush(nil)

// Serve until SIGTERM or SIGINT, then stop the loop thread and exit 0.
var received: Int32 = 0
while sigwait(&blocked, &received) != 0 {}
server.shutdown()
exit(0)
