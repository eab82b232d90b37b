import CoAP

/// Stage 4 of `POST /readings`: may the device the message proves store readings now? It must be
/// active and not locked out, a rule must let it `POST /readings`, it must be within its rate,
/// and the readings must be SenML.
struct AccessPolicy: Sendable {
    let directory: any GatewayDirectory
    let monitor: SecurityMonitor
    let rateLimiter: RateLimiter
    let refusals: Refusals

    func check(_ reading: OpenedReading, _ request: CoAPRequest) -> StageResult<PreparedReading> {
        let device = reading.deviceID
        func refuse(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event?, _ message: String) -> StageResult<PreparedReading> {
            .refused(refusals.refuse(code, event, device: device, source: request.peer, message))
        }
        guard let record = directory.device(device), record.isActive else {
            return refuse(.forbidden, .inactiveDevice, "the device is not active")
        }
        if monitor.isLockedOut(deviceID: device) {
            return refuse(.forbidden, nil, "device locked out after repeated failures; try later")
        }
        guard directory.isAllowed(deviceID: device, method: "POST", path: "/readings") else {
            return refuse(.forbidden, .accessDenied, "\(device) may not POST /readings")
        }
        guard rateLimiter.allow(device) else {
            return refuse(.tooManyRequests, .rateLimited, "more than \(rateLimiter.rate) messages per second")
        }
        guard let format = reading.format, format == .senmlCBOR || format == .senmlJSON else {
            return refuse(.unsupportedContentFormat, .malformed, "readings are SenML JSON (110) or CBOR (112)")
        }
        return .passed(PreparedReading(
            deviceID: device, body: reading.body, format: format, allowedNames: record.allowedNames, opened: reading.opened,
            payload: request.payload, peer: request.peer))
    }
}
