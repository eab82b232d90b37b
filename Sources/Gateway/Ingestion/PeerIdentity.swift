import CoAP

/// Who the channel says sent a request (stage 1 of `POST /readings`, docs/architecture.md): the
/// device its DTLS session authenticated, or nobody (plain CoAP, where only a seal can say).
enum PeerIdentity: Sendable, Equatable {
    /// Authenticated by the DTLS session: the device the PSK lookup or the certificate mapping
    /// named (`CoAPRequest.identity`).
    case device(String)
    case anonymous

    init(_ request: CoAPRequest) { self = request.identity.map(PeerIdentity.device) ?? .anonymous }

    /// The authenticated device, if any.
    var deviceID: String? {
        if case .device(let id) = self { return id }
        return nil
    }
}
