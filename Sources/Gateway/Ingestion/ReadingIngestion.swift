import CoAP

/// `POST /readings`, stage by stage (docs/architecture.md, "The path of a reading"):
/// ``PeerIdentity`` → ``Admission`` → ``SealOpening`` → ``AccessPolicy`` → ``CommitQueue``.
/// Every stage but the last runs on the CoAP loop, in line with the request, and answers a refusal
/// at once (piggybacked); the commit queue answers the rest from its worker once their batch is
/// stored, on the request's held-back ACK. No task is made per reading.
struct ReadingIngestion: Sendable {
    let admission: Admission
    let sealOpening: SealOpening
    let policy: AccessPolicy
    let commits: CommitQueue

    func ingest(_ request: CoAPRequest, reply: CoAPReply) {
        let identity = PeerIdentity(request)
        if let refused = admission.check(request, from: identity) { return reply.send(refused) }
        let opened: OpenedReading
        switch sealOpening.open(request, from: identity) {
        case .refused(let answer): return reply.send(answer)
        case .passed(let reading): opened = reading
        }
        switch policy.check(opened, request) {
        case .refused(let answer): reply.send(answer)
        case .passed(let prepared): commits.submit(prepared, for: request, reply: reply)
        }
    }
}
