// ingest-bench: the Gateway library on loopback, for the ingestion rows of Benchmarks/run-coap-bench.sh.
//
//   ingest-bench DATA-DIR PAYLOAD-FILE [--devices N] [--messages M] [--no-encryption]
//                [--durability process|power] [--psk IDENTITY:KEY] [--device-psk KEY]
//
// Makes N devices (default 16) with sealing keys in an in-memory directory, seals M readings per
// device (default 20000; a three-value SenML CBOR pack, as coap-node sends) in sequence-number
// order and writes them to PAYLOAD-FILE for `coap-load -f`. Then serves a Gateway on 127.0.0.1
// (plain CoAP on a free port, printed as "listening on PORT"; each reading committed before its
// 2.01, SQLite in DATA-DIR, --durability as coap-gateway's, default process) until SIGTERM or
// SIGINT, and prints "stored=S commits=C" before exiting 0.
//
// --no-encryption stores the reading content in clear: the baseline against which encryption at
// rest is measured, through the same code path (a package-only content cipher that seals nothing,
// `ClearContent` below, in place of the data keys; never a product option).
// Sealing happens before the gateway starts: it is the node's work, not the gateway's.
// --psk adds a device with that PSK identity and key (text) and prints "dtls on PORT" for the
// gateway's DTLS endpoint (the memory benchmark holds idle DTLS sessions with it).
// --device-psk gives every device bench-N the PSK identity bench-N with that key (text), for
// readings over DTLS (`coap-load -i bench-%d -K KEY -f ...`).

import Foundation
import Gateway
import LibCrypto
import Logging
import Sealing
import SenML

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ingest-bench: \(message)\n".utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name) else { return nil }
    guard i + 1 < arguments.count else { fail("\(name) needs a value") }
    defer { arguments.removeSubrange(i...(i + 1)) }
    return arguments[i + 1]
}
let deviceCount = Int(option("--devices") ?? "16") ?? 0
let messagesPerDevice = Int(option("--messages") ?? "20000") ?? 0
let psk = option("--psk")
let devicePSK = option("--device-psk")
let durabilityName = option("--durability") ?? ReadingsDurability.processCrash.rawValue
guard let durability = ReadingsDurability(rawValue: durabilityName) else { fail("--durability must be process or power") }
let encrypts = !arguments.contains("--no-encryption")
arguments.removeAll { $0 == "--no-encryption" }
guard arguments.count == 2, deviceCount > 0, messagesPerDevice > 0 else {
    fail("usage: ingest-bench DATA-DIR PAYLOAD-FILE [--devices N] [--messages M] [--no-encryption] [--durability process|power]")
}
let (dataDirectory, payloadFile) = (arguments[0], arguments[1])

// Block SIGTERM/SIGINT in every thread (before any starts); the main thread takes them with sigwait.
var blocked = sigset_t()
sigemptyset(&blocked)
sigaddset(&blocked, SIGTERM)
sigaddset(&blocked, SIGINT)
pthread_sigmask(SIG_BLOCK, &blocked, nil)

// Devices, keys, and every message each device will send.
let directory = InMemoryDirectory()
var file: [UInt8] = Array("SCPL".utf8)
@MainActor func append32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { file += $0 } }
append32(deviceCount)
do {
    for d in 0..<deviceCount {
        let id = "bench-\(d)", kid = [UInt8(0x20), UInt8(d & 0xff), UInt8(d >> 8)]
        let secret = try DeviceSecret.generate()
        directory.addDevice(GatewayDevice(id: id))
        if let devicePSK { directory.addPSK(identity: id, key: Array(devicePSK.utf8), deviceID: id) }
        directory.addSealingSecret(GatewaySealingSecret(deviceID: id, kid: kid, secret: secret.bytes.withUnsafeBytes { Array($0) }))
        let sealer = try Sealer(key: try secret.deriveKey(kid: kid), deviceID: id, sequenceNumbers: InMemorySequenceNumberSource(startingAt: 0))
        append32(messagesPerDevice)
        for n in 0..<messagesPerDevice {
            let pack = SenMLPack([
                SenMLRecord(baseName: "\(id)/", name: "temp", unit: "Cel", value: 20 + Double(n % 100) / 10),
                SenMLRecord(name: "hum", unit: "%RH", value: 40),
                SenMLRecord(name: "bat", unit: "V", value: 3.1),
            ])
            let sealed = try sealer.seal(pack.cbor(), contentFormat: 112)  // application/senml+cbor
            withUnsafeBytes(of: UInt16(sealed.count).littleEndian) { file += $0 }
            file += sealed
        }
    }
    try Data(file).write(to: URL(fileURLWithPath: payloadFile))
} catch {
    fail("cannot prepare the messages: \(error)")
}

if let psk {
    guard let colon = psk.firstIndex(of: ":") else { fail("--psk needs IDENTITY:KEY") }
    directory.addDevice(GatewayDevice(id: "bench-psk"))
    directory.addPSK(identity: String(psk[..<colon]), key: Array(psk[psk.index(after: colon)...].utf8), deviceID: "bench-psk")
}

var configuration = GatewayConfiguration()
configuration.port = 0
configuration.dtlsPort = 0
configuration.ratePerDevice = 1_000_000
configuration.burstPerDevice = 1_000_000
configuration.lockout.threshold = 1_000_000
if !encrypts { configuration.readingsContentCipher = { ClearContent() } }
configuration.readingsDurability = durability
var logger = Logger(label: "ingest-bench")
logger.logLevel = .error

let gateway: Gateway
do {
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    gateway = try Gateway(
        configuration: configuration, directory: directory, readingsPath: dataDirectory + "/readings.db",
        masterKey: try SecureBytes.random(count: 32), logger: logger)
    try gateway.start()
} catch {
    fail("cannot start the gateway: \(error)")
}
guard let port = gateway.port else { fail("no port") }
print("listening on \(port)")
if psk != nil || devicePSK != nil, let dtlsPort = gateway.dtlsPort { print("dtls on \(dtlsPort)") }
fflush(nil)

var received: Int32 = 0
while sigwait(&blocked, &received) != 0 {}
gateway.shutdown()
print("stored=\(gateway.readingsStored) commits=\(gateway.readingCommits)")
exit(0)

/// The baseline's content cipher: the content as it is.
final class ClearContent: ReadingsContentCipher {
    func sealRow(_ plaintext: [UInt8], nonce: ArraySlice<UInt8>, authenticating aad: [UInt8]) throws -> [UInt8] { plaintext }
    func openRow(_ sealed: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]) throws -> [UInt8] { sealed }
}
