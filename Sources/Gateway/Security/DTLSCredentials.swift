import CoAP

/// The gateway's DTLS endpoint as the directory and the security monitor see it: a PSK identity's
/// key and device, a client certificate's device, and every handshake's outcome to the monitor.
/// The session is authenticated as the device itself (``CoAP/CoAPRequest/identity``).
enum DTLSCredentials {
    static func configuration(
        _ configuration: GatewayConfiguration, directory: any GatewayDirectory, monitor: SecurityMonitor, counters: DTLSServerCounters
    ) -> DTLSServerConfiguration {
        // Locked out here: only devices whose own misbehaviour is proven (SecurityMonitor). An
        // address whose handshakes keep failing is throttled by the server (DTLSServerLimits).
        let psk = DTLSServerConfiguration.PSK(hint: configuration.pskHint) { identity, _ in
            guard let match = directory.pskKey(forIdentity: identity.text), !monitor.isLockedOut(deviceID: match.deviceID),
                  let key = try? PSKKey(bytes: match.key)
            else { return nil }
            return DTLSServerConfiguration.PSKMatch(key: key, identity: match.deviceID)
        }
        var pki: DTLSServerConfiguration.PKI?
        if let certificate = configuration.certificate, let key = configuration.privateKey {
            pki = DTLSServerConfiguration.PKI(certificate: certificate, privateKey: key, trustedCA: configuration.trustedCA) { cert, _ in
                guard let device = directory.deviceID(forCertificateFingerprint: cert.sha256Fingerprint, subject: cert.commonName),
                      !monitor.isLockedOut(deviceID: device)
                else { return nil }
                return device
            }
        }
        var limits = configuration.dtlsLimits
        limits.failureThreshold = configuration.lockout.threshold
        limits.failureWindow = configuration.lockout.window
        limits.throttleDuration = configuration.lockout.lockout
        return DTLSServerConfiguration(psk: psk, pki: pki, handshakeTimeout: configuration.handshakeTimeout, limits: limits, counters: counters) { event in
            // A failed handshake proves nothing about the identity it named: claimed, not pinned.
            let offered = event.offeredIdentity ?? event.identity ?? "-"
            switch event.outcome {
            case .established: break
            case .unknownIdentity:
                monitor.record(.unknownIdentity, source: event.peer, detail: "PSK identity '\(offered)' refused")
            case .timeout:
                monitor.record(.handshakeFailure, claimed: event.identity, source: event.peer,
                               detail: "handshake for '\(offered)' timed out (wrong key?)")
            case .abandoned:
                monitor.record(.handshakeAbandoned, source: event.peer, detail: "handshake abandoned before the client named an identity")
            case .certificateRefused(let why):
                monitor.record(.certificateRefused, source: event.peer, detail: why)
            case .failed(let why):
                monitor.record(.handshakeFailure, claimed: event.identity, source: event.peer, detail: why)
            }
        }
    }
}
