internal import CLibCoAP
import Logging
import LibCrypto
import Platform

/// Process-wide libcoap set-up: `coap_startup()` once, and libcoap's log routed into swift-log.
///
/// libcoap has one log handler per process, so its messages go to the logger of the most
/// recently created endpoint, under the `coap.libcoap` label's metadata.
enum LibCoAPRuntime {
    private static let state = Locked<Logger?>(nil)
    private static let filter = Locked(LibCoAPLogFilter())
    private static let verbosity = Locked<Int32>(0)
    private static let started: Bool = {
        coap_startup()
        coap_set_log_handler { level, message in
            guard let message else { return }
            LibCoAPRuntime.log(level: level, message: String(cString: message))
        }
        return true
    }()

    static func ensureStarted(logger: Logger) {
        _ = started
        state.withLock { $0 = logger }
        // One level for the whole process: the most verbose any endpoint asked for.
        let level = verbosity.withLock { v in
            v = max(v, coapLevel(for: logger.logLevel))
            return v
        }
        coap_set_log_level(level)
        coap_dtls_set_log_level(level)
    }

    private static let describeLock = PThreadMutex()

    /// `coap_endpoint_str` formats into one static buffer shared by the whole process, so two
    /// endpoints starting at once would read each other's text: serialize and copy.
    static func describe(_ endpoint: OpaquePointer) -> String? {
        describeLock.withLock { coap_endpoint_str(endpoint).map { String(cString: $0) } }
    }

    /// libcoap's levels are syslog's: 0 emergency ... 7 debug.
    private static func coapLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .trace: 7
        case .debug: 6
        case .info: 5
        case .notice: 4
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func log(level: Int32, message: String) {
        guard let logger = state.withLock({ $0 }) else { return }
        // libcoap 4.3.1 reports every received RST at LOG_ALERT; it is routine (a peer ending an
        // observation, a late response) and belongs at debug.
        let level = message.hasPrefix("got RST") ? 7 : level
        let swiftLevel: Logger.Level = switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        case 7: .debug
        default: .trace
        }
        var text = message
        while text.last == "\n" { text.removeLast() }
        // A peer decides how often libcoap complains; asked for debug, the operator sees it all.
        if logger.logLevel > .debug {
            let now = monotonicNanoseconds()
            let (log, summaries) = filter.withLock { ($0.shouldLog(text, now: now), $0.summaries(now: now)) }
            report(summaries, to: logger)
            guard log else { return }
        }
        logger.log(level: swiftLevel, "\(text)", metadata: ["coap.source": "libcoap"])
    }

    /// Sums up the libcoap messages held back in intervals that are over; the servers' housekeeping
    /// calls it, so a summary comes even when the flood has stopped.
    static func reportHeldBackMessages() {
        guard let logger = state.withLock({ $0 }) else { return }
        let now = monotonicNanoseconds()
        report(filter.withLock { $0.summaries(now: now) }, to: logger)
    }

    private static func report(_ summaries: [LogThrottle.Summary], to logger: Logger) {
        for summary in summaries {
            logger.notice("libcoap messages held back (not logged one by one)", metadata: [
                "coap.source": "libcoap", "coap.message": "\(summary.key)", "coap.held_back": "\(summary.suppressed)",
                "coap.interval_s": "\(Int(summary.interval.seconds))",
            ])
        }
    }
}
