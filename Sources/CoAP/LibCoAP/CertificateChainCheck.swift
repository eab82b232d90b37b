internal import CLibCoAP

/// The part of a peer-certificate check that is the same on both sides: what OpenSSL found wrong
/// with the chain, worded for a user, and the certificate being checked.
enum CertificateChainCheck {
    /// Why the chain was refused, or nil when OpenSSL accepted the certificate at this depth.
    static func failure(preverified: Bool, store: OpaquePointer) -> String? {
        guard !preverified else { return nil }
        let error = X509_STORE_CTX_get_error(store)
        let depth = X509_STORE_CTX_get_error_depth(store)
        let subject = current(store)?.commonName ?? ""
        var reason = String(cString: X509_verify_cert_error_string(Int(error)))
        if [X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT].contains(error)
        {
            reason = "not issued by a trusted CA: " + reason
        }
        return "\(reason) (certificate '\(subject)'\(depth > 0 ? ", chain depth \(depth)" : ""))"
    }

    /// The certificate at the store's current depth.
    static func current(_ store: OpaquePointer) -> PeerCertificate? {
        X509_STORE_CTX_get_current_cert(store).flatMap(PeerCertificate.init)
    }
}
