import CoAP
import Foundation

/// `GET /health`, open to anyone: uptime, the store's state (``HealthReport``), counts. Answered
/// from memory: the store is checked off the loop, at most once a second (``HealthProbe``).
struct HealthResource: Sendable {
    let store: ReadingsStore
    let probe: HealthProbe
    let commits: CommitQueue
    let parser: ReadingParser
    let started: Date

    func register(on router: inout CoAPRouter) {
        router.on(.get, "/health", attributes: .init(resourceTypes: ["securecoap.health"], contentFormats: [.json])) { _ in
            answer()
        }
    }

    func answer() -> CoAPResponse {
        let check = probe.lastResult()
        let store: HealthReport.Store
        switch commits.state.withLock({ $0 }) {
        case _ where !check.readable: store = .unavailable
        case .failing(full: true): store = .full
        case .failing(full: false): store = .failing
        case .ok: store = (check.freeBytes ?? Int.max) < HealthReport.lowSpaceBytes ? .full : .ok
        }
        let report = HealthReport(
            store: store, diskFreeBytes: check.freeBytes, uptimeSeconds: Int(Date().timeIntervalSince(started)),
            durability: self.store.durability, readingsTotal: self.store.committedTotal, readingsSinceStart: commits.stored.withLock { $0 },
            commitsSinceStart: commits.commits.withLock { $0 }, recordsDroppedByAllowList: parser.droppedByAllowList.withLock { $0 })
        var response = CoAPResponse(code: .content)
        response.payload = report.json()
        response.options.contentFormat = .json
        return response
    }
}
