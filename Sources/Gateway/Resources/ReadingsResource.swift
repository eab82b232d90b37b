import CoAP
import Dispatch

/// `/readings`: `POST /readings` takes a reading (``ReadingIngestion``), `GET /readings/{device}`
/// (observable) answers a device's readings, oldest first (`?limit=` 1 to 1,000, default 20;
/// `?since=` seconds since the epoch; SenML JSON, or CBOR with `Accept: 112`), to the device itself,
/// admins and devices a rule lets `GET` it.
///
/// The store is read off the CoAP loop, on a queue of its own: the loop never reads the disk or
/// decrypts stored rows, and the answer rides on the request's held-back ACK. Notifications are
/// answered from ``ObservedReadings``.
struct ReadingsResource: Sendable {
    let ingestion: ReadingIngestion
    let store: ReadingsStore
    let observed: ObservedReadings
    let directory: any GatewayDirectory
    let monitor: SecurityMonitor
    private let reads = DispatchQueue(label: "securecoap.gateway.reads", qos: .userInitiated, attributes: .concurrent)

    init(ingestion: ReadingIngestion, store: ReadingsStore, observed: ObservedReadings, directory: any GatewayDirectory, monitor: SecurityMonitor) {
        self.ingestion = ingestion
        self.store = store
        self.observed = observed
        self.directory = directory
        self.monitor = monitor
    }

    func register(on router: inout CoAPRouter) {
        let ingestion = self.ingestion
        router.on(.post, "/readings", attributes: .init(resourceTypes: ["securecoap.readings"], title: "SenML readings, sealed"), replying: ingestion.ingest)
        router.on(.get, "/readings/{device}", attributes: .init(resourceTypes: ["securecoap.readings"], observable: true)) { request in
            await get(request)
        }
    }

    func get(_ request: CoAPRequest) async -> CoAPResponse {
        guard let device = request.parameters["device"] else { return .status(.notFound) }
        guard let requester = request.identity, let who = directory.device(requester), who.isActive else {
            return CoAPResponse.status(.unauthorized)
        }
        let path = "/readings/\(device)"
        guard requester == device || who.isAdmin || directory.isAllowed(deviceID: requester, method: "GET", path: path) else {
            monitor.record(.accessDenied, device: requester, source: request.peer, detail: "GET \(path)")
            return CoAPResponse.status(.forbidden)
        }
        let query = ObservedReadings.Query(
            device: device, since: request.queryValue("since").flatMap(Double.init),
            limit: min(max(request.queryValue("limit").flatMap(Int.init) ?? 20, 1), 1000),
            format: request.options.accept == .senmlCBOR ? .senmlCBOR : .senmlJSON)
        if let payload = observed.answer(for: query) { return Self.response(payload, query.format) }
        // Read, decrypted and encoded off the loop; an observation's registration is kept for its
        // notifications.
        let (store, observed, registers) = (self.store, self.observed, request.options.observe == 0)
        let payload: [UInt8]? = await withCheckedContinuation { continuation in
            reads.async {
                guard let result = try? store.readings(device: device, since: query.since, limit: query.limit) else {
                    return continuation.resume(returning: nil)
                }
                continuation.resume(returning: registers
                    ? observed.keep(query, readings: result.readings) : ObservedReadings.encode(result.readings, as: query.format))
            }
        }
        guard let payload else { return CoAPResponse.status(.serviceUnavailable) }
        return Self.response(payload, query.format)
    }

    private static func response(_ payload: [UInt8], _ format: ContentFormat) -> CoAPResponse {
        var response = CoAPResponse(code: .content)
        response.payload = payload
        response.options.contentFormat = format
        return response
    }
}
