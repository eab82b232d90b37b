import CoAP

/// `POST /readings`, stage by stage (docs/architecture.md, "The path of a reading"):
/// ``PeerIdentity`` → ``Admission`` → ``SealOpening`` → ``AccessPolicy`` → ``CommitQueue``.
/// Every stage but the last runs on the CoAP loop without suspending; the handler then awaits its
/// batch's commit, and its answer rides on the request's held-back ACK.
struct ReadingIngestion: Sendable {
    let admission: Admission
    let sealOpening: SealOpening
    let policy: AccessPolicy
    let commits: CommitQueue

    func ingest(_ request: CoAPRequest) async -> CoAPResponse {
        let identity = PeerIdentity(request)
        if let refused = admission.check(request, from: identity) { return refused }
        let opened: OpenedReading
        switch sealOpening.open(request, from: identity) {
        case .refused(let answer): return answer
        case .passed(let reading): opened = reading
        }
        switch policy.check(opened, request) {
        case .refused(let answer): return answer
        case .passed(let prepared): return await commits.commit(prepared, for: request)
        }
    }
}
