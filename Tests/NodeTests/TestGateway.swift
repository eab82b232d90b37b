import CoAP
import Foundation
import LibCrypto
import Sealing
import SenML
import TestSupport

/// A stand-in for the gateway: `POST /readings` over plain CoAP and DTLS-PSK on 127.0.0.1, opening
/// seals with a `KeyRing` (replay windows included) and recording what it accepted, in order.
///
/// It can be stopped and started again on the same ports (a gateway restart), or told to answer
/// every request with an error code (a gateway that is up but refusing).
final class TestGateway: Sendable {
    struct Received: Sendable {
        var device: String
        var kid: [UInt8]?
        var sequenceNumber: UInt64?
        var type: CoAPMessageType
        var contentFormat: ContentFormat?
        var innerContentFormat: UInt16?
        var records: [SenMLRecord]
        var payloadSize: Int
        var tokenLength: Int
    }

    enum Mode: Sendable {
        case accept
        case answer(CoAPResponseCode)
        /// Refuse with 4.13 any message holding more SenML records than this.
        case refuseMoreRecordsThan(Int)
        /// Refuse with 4.00 any message holding a record with this name.
        case refuseName(String)
        /// Accept, after this long (the response follows the empty ACK).
        case slow(Duration)
        /// Accept once the mode changes (at most 30 s on): an answer held for as long as a test
        /// needs, however slowly a loaded machine runs it.
        case held
    }

    /// A sealed message as it arrived, accepted or not.
    struct SealedArrival: Sendable {
        var kid: [UInt8]
        var sequenceNumber: UInt64
        var payload: [UInt8]
        /// Why the key ring refused it, `nil` when accepted.
        var refusal: SealingError.Code?
    }

    let ring = KeyRing()
    let pskIdentity: String
    let pskKey: PSKKey
    private let received = TestLocked<[Received]>([])
    private let mode = TestLocked<Mode>(.accept)
    private let server = TestLocked<CoAPServer?>(nil)
    private let ports = TestLocked<(plain: UInt16, dtls: UInt16)>((0, 0))
    private let refusals = TestLocked<Int>(0)
    private let arrivals = TestLocked<Int>(0)
    private let refusedSeals = TestLocked<Int>(0)
    private let sealed = TestLocked<[SealedArrival]>([])

    init(pskIdentity: String = "node-7", pskKey: PSKKey? = nil) throws {
        self.pskIdentity = pskIdentity
        self.pskKey = try pskKey ?? PSKKey(bytes: SecureRandom.bytes(count: 16))
    }

    /// Registers the device's kid with the gateway's key ring.
    func register(secret: DeviceSecret, deviceID: String, kid: [UInt8]) throws {
        try ring.add(try secret.deriveKey(kid: kid), deviceID: deviceID)
    }

    var plainURI: String { "coap://127.0.0.1:\(ports.get().plain)" }
    var secureURI: String { "coaps://127.0.0.1:\(ports.get().dtls)" }
    var readings: [Received] { received.get() }
    var refusedCount: Int { refusals.get() }
    var isRunning: Bool { server.get() != nil }
    /// Every sealed message that arrived, in order.
    var sealedArrivals: [SealedArrival] { sealed.get() }
    /// Sealed messages refused (unknown kid, replay, bad tag...).
    var sealRefusals: Int { refusedSeals.get() }
    /// Requests that reached the handler, answered or not yet.
    var arrivalCount: Int { arrivals.get() }

    func setMode(_ newMode: Mode) { mode.update { $0 = newMode } }

    /// All records received, in order.
    var records: [SenMLRecord] { readings.flatMap(\.records) }

    /// Reserves the ports without serving: a gateway that is down from the start.
    func reservePorts() throws {
        try start()
        stop()
    }

    /// Starts serving: the first time on free ports below the ephemeral range (so that no
    /// client socket takes them while the gateway is down), later on the same ports again.
    func start() throws {
        if ports.get().plain != 0 {
            try start(plain: ports.get().plain, dtls: ports.get().dtls)
            return
        }
        var lastError: (any Error)?
        for _ in 0..<50 {
            let plain = UInt16.random(in: 20_000..<32_000)
            do {
                try start(plain: plain, dtls: plain + 1)
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestFailure("no free ports")
    }

    private func start(plain: UInt16, dtls: UInt16) throws {
        let identity = pskIdentity
        let key = pskKey
        let dtlsConfiguration = DTLSServerConfiguration(
            psk: .init(hint: "gw") { offered, _ in offered.text == identity ? DTLSServerConfiguration.PSKMatch(key: key, identity: identity) : nil },
            handshakeTimeout: .seconds(5))
        var router = CoAPRouter()
        router.post("/readings") { [self] request in
            self.arrivals.update { $0 += 1 }
            if case .slow(let delay) = self.mode.get() { try await Task.sleep(for: delay) }
            let deadline = ContinuousClock.now + .seconds(30)
            while case .held = self.mode.get(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            return self.handle(request)
        }
        let created = try CoAPServer(
            configuration: .init(host: "127.0.0.1", port: plain, dtls: dtlsConfiguration, dtlsPort: dtls), router: router)
        try created.start()
        ports.update { $0 = (created.port ?? 0, created.dtlsPort ?? 0) }
        server.update { $0 = created }
    }

    func stop() {
        let running = server.update { s -> CoAPServer? in
            defer { s = nil }
            return s
        }
        running?.shutdown()
    }

    private func handle(_ request: CoAPRequest) -> CoAPResponse {
        if case .answer(let code) = mode.get() {
            refusals.update { $0 += 1 }
            return .status(code)
        }
        var entry = Received(
            device: request.identity ?? "(plain)", type: request.type, contentFormat: request.contentFormat,
            records: [], payloadSize: request.payload.count, tokenLength: request.token.count)
        var senml = request.payload
        var format = request.contentFormat?.rawValue
        if request.contentFormat == .coseEncrypt0 {
            let parsed = try? SealedPayload(parsing: request.payload)
            var arrival = SealedArrival(
                kid: parsed?.kid ?? [], sequenceNumber: parsed?.sequenceNumber ?? .max, payload: request.payload, refusal: nil)
            defer { sealed.update { $0.append(arrival) } }
            do {
                let opened = try ring.openAndRecord(request.payload, deviceID: request.identity)
                entry.device = opened.deviceID
                entry.kid = opened.kid
                entry.sequenceNumber = opened.sequenceNumber
                entry.innerContentFormat = opened.contentFormat
                senml = opened.plaintext
                format = opened.contentFormat
            } catch {
                arrival.refusal = (error as? SealingError)?.code
                refusedSeals.update { $0 += 1 }
                return .status(.unauthorized, diagnostic: "seal refused")
            }
        }
        do {
            switch format {
            case ContentFormat.senmlCBOR.rawValue: entry.records = try SenMLPack(cbor: senml).records
            case ContentFormat.senmlJSON.rawValue: entry.records = try SenMLPack(json: senml).records
            default: return .status(.unsupportedContentFormat)
            }
        } catch {
            return .status(.badRequest, diagnostic: "bad SenML")
        }
        for record in entry.records where record.baseName != nil && record.baseName != entry.device + "/" {
            return .status(.badRequest, diagnostic: "base name names another device")
        }
        switch mode.get() {
        case .refuseMoreRecordsThan(let limit) where entry.records.count > limit:
            refusals.update { $0 += 1 }
            return .status(.requestEntityTooLarge)
        case .refuseName(let name) where entry.records.contains(where: { $0.name == name }):
            refusals.update { $0 += 1 }
            return .status(.badRequest, diagnostic: "refused")
        default:
            break
        }
        received.update { $0.append(entry) }
        return .status(.created)
    }
}
