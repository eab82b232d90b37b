import CoAP

/// `GET /security`, for admins only: the security monitor's counts and lockouts, and the DTLS
/// and CoAP servers' figures (docs/security.md).
struct SecurityResource: Sendable {
    let monitor: SecurityMonitor
    let directory: any GatewayDirectory
    let dtls: DTLSServerCounters
    let coap: CoAPServerCounters

    func register(on router: inout CoAPRouter) {
        router.on(.get, "/security", attributes: .init(resourceTypes: ["securecoap.security"], contentFormats: [.json])) { request in
            answer(request)
        }
    }

    func answer(_ request: CoAPRequest) -> CoAPResponse {
        guard let requester = request.identity, directory.device(requester)?.isAdmin == true else {
            return CoAPResponse.status(.forbidden)
        }
        var response = CoAPResponse(code: .content)
        response.payload = monitor.reportJSON(dtls: dtls.snapshot, coap: coap.snapshot)
        response.options.contentFormat = .json
        return response
    }
}
