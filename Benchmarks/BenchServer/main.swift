// coap-bench-server: our CoAPServer with a handler that does not suspend, for
// Benchmarks/run-coap-bench.sh to load next to libcoap's coap-server-notls.
//
//   coap-bench-server [PORT] [--psk IDENTITY:KEY]   (PORT 0 or absent: the system picks)
//
// Listens on 127.0.0.1 only. Prints "listening on PORT" once it serves (and, with --psk,
// "dtls on PORT" for its DTLS endpoint, also on a port the system picks), and runs until SIGTERM
// or SIGINT, then shuts down and exits 0. With --psk, the DTLS endpoint accepts that one identity
// with that key (text), the way `coap-server-openssl -k KEY` accepts any identity with its key;
// the key lookup is a dictionary lookup, as a registry's snapshot lookup would be.
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

var arguments = Array(CommandLine.arguments.dropFirst())
let usage = "usage: coap-bench-server [PORT] [--psk IDENTITY:KEY]   (PORT 0 or absent: pick a free port)\n"
if arguments.contains(where: { $0 == "-h" || $0 == "--help" }) {
    writeStderr(usage)
    exit(0)
}
var psk: (identity: String, key: String)?
if let i = arguments.firstIndex(of: "--psk") {
    guard i + 1 < arguments.count, let colon = arguments[i + 1].firstIndex(of: ":") else { fail("--psk needs IDENTITY:KEY") }
    let value = arguments[i + 1]
    psk = (String(value[..<colon]), String(value[value.index(after: colon)...]))
    arguments.removeSubrange(i...(i + 1))
}
if arguments.count > 1 {
    writeStderr(usage)
    exit(2)
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

/// Outside the top-level code: a closure formed there would be isolated to the main actor, and
/// every request would pay a switch of executors to call it.
func route(_ response: CoAPResponse) -> CoAPRouter {
    var router = CoAPRouter()
    router.get("/") { _ in response }
    return router
}
let router = route(response)

var dtls: DTLSServerConfiguration?
if let psk {
    let keys: [PSKIdentity: PSKKey]
    do { keys = [try PSKIdentity(psk.identity): try PSKKey(text: psk.key)] } catch { fail("bad --psk: \(error)") }
    dtls = DTLSServerConfiguration(psk: .init(hint: "bench", keyLookup: { identity, _ in
        keys[identity].map { DTLSServerConfiguration.PSKMatch(key: $0, identity: identity.text) }
    }))
}

let server: CoAPServer
do {
    server = try CoAPServer(
        configuration: .init(host: "127.0.0.1", port: requestedPort, dtls: dtls, dtlsPort: 0), router: router, logger: logger)
    try server.start()
} catch {
    fail("cannot start: \(error)")
}
guard let port = server.port else { fail("no listening port") }
print("listening on \(port)")
if dtls != nil {
    guard let dtlsPort = server.dtlsPort else { fail("no DTLS port") }
    print("dtls on \(dtlsPort)")
}
fflush(nil)

// Serve until SIGTERM or SIGINT, then stop the loop thread and exit 0.
var received: Int32 = 0
while sigwait(&blocked, &received) != 0 {}
server.shutdown()
exit(0)
