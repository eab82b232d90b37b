import CoAP
import Sealing

/// A message whose seal is open (or that came unsealed on a channel that may send it so): the
/// device it proves, and its SenML.
struct OpenedReading: Sendable {
    var deviceID: String
    var body: [UInt8]
    var format: ContentFormat?
    /// The opened seal, when the message was sealed.
    var opened: OpenedPayload?
}

/// Stage 3 of `POST /readings`: opens the COSE_Encrypt0 seal (docs/sealed-format.md) through
/// the ``ReplayGuard``, and says who it proves. An unsealed message passes only on a DTLS session
/// whose device may send unsealed readings.
struct SealOpening: Sendable {
    let replayGuard: ReplayGuard
    let directory: any GatewayDirectory
    let refusals: Refusals

    func open(_ request: CoAPRequest, from identity: PeerIdentity) -> StageResult<OpenedReading> {
        let channel = identity.deviceID
        func refuse(_ code: CoAPResponseCode, _ event: SecurityMonitor.Event, claimed: String? = nil, _ message: String) -> StageResult<OpenedReading> {
            .refused(refusals.refuse(code, event, device: channel, claimed: claimed, source: request.peer, message))
        }
        guard request.options.contentFormat == .coseEncrypt0 else {
            guard let channel else {
                return refuse(.unauthorized, .unsealed, "readings over plain CoAP must be sealed (Content-Format 16)")
            }
            if directory.device(channel)?.requireSealedReadings ?? true {
                return refuse(.unauthorized, .unsealed, "this device must seal its readings")
            }
            return .passed(OpenedReading(deviceID: channel, body: request.payload, format: request.options.contentFormat, opened: nil))
        }
        let payload: SealedPayload
        do { payload = try SealedPayload(parsing: request.payload) } catch {
            return refuse(.badRequest, .malformed, "not a COSE_Encrypt0 message")
        }
        do {
            let opened = try replayGuard.open(payload, channelDevice: channel)
            return .passed(OpenedReading(
                deviceID: opened.deviceID, body: opened.plaintext, format: ContentFormat(rawValue: opened.contentFormat), opened: opened))
        } catch let error as SealingError {
            // A seal that does not open proves nothing about the device its kid names: only the
            // channel's device (over DTLS) is answerable for it.
            let kidDevice = replayGuard.deviceID(ofKid: payload.kid)
            switch error.code {
            case .replay:
                return .refused(replayGuard.alreadySeen(request, kid: payload.kid, sequenceNumber: payload.sequenceNumber, device: kidDevice))
            case .unknownKid:
                return refuse(.unauthorized, .unknownKid, "unknown kid \(payload.kidHex)")
            case .revokedKid:
                return refuse(.unauthorized, .unknownKid, claimed: kidDevice, "kid \(payload.kidHex) is revoked")
            case .deviceMismatch:
                return refuse(.forbidden, .accessDenied, claimed: kidDevice, "kid \(payload.kidHex) is not this device's")
            case .authenticationFailed:
                return refuse(.unauthorized, .tamperedSeal, claimed: kidDevice, "the seal does not verify (tampered, or the wrong key)")
            default:
                return refuse(.badRequest, .malformed, "cannot open the message: \(error.code)")
            }
        } catch {
            return refuse(.badRequest, .malformed, "cannot open the message")
        }
    }
}
