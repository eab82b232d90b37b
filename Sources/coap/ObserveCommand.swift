import ArgumentParser
import CoAP
import Foundation
import Platform

struct ObserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observe",
        abstract: "Observe a resource (RFC 7641) and print each notification on its own line.",
        discussion: """
            Stops after --count notifications or --duration seconds and deregisters. With neither, \
            observes until interrupted (SIGINT or SIGTERM), then deregisters and exits 0 if the \
            registration was answered.
            """
    )

    @OptionGroup var options: RequestOptions

    @Option(help: "Stop after this many notifications (the first response counts).")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    /// How the observation ended.
    private enum Ending: Sendable {
        /// The server ended it, or `--count` notifications arrived.
        case notifications(Int)
        case durationElapsed
        case interrupted(signal: Int32)
    }

    func run() async throws {
        try await CLI.run("observe") {
            // Taken before the registration, so that an interruption from then on ends the
            // observation cleanly (deregistered) instead of killing the process.
            let signals = count == nil && duration == nil ? TerminationSignals.stream() : nil
            let client = try CoAPClient(configuration: try options.clientConfiguration(), logger: CLI.logger(verbose: options.verbose))
            defer { client.shutdown() }
            let uri = try CoAPURI(options.uri)
            var request = CoAPRequest(method: .get, uri: uri)
            if let accept = options.accept.flatMap(ContentFormat.init(argument:)) { request.options.accept = accept }
            let observation = try client.observe(request, at: uri, timeout: options.timeoutDuration)
            let limit = count
            let received = Locked(0)
            // Cancelling the task that iterates the observation deregisters it.
            let ending = try await withThrowingTaskGroup(of: Ending.self) { group in
                group.addTask {
                    for try await notification in observation {
                        if options.verbose { CLI.describe(notification) }
                        guard notification.code.isSuccess else {
                            throw CLIFailure("\(notification.code)", exitCode: CLI.responseErrorStatus)
                        }
                        let n = received.withLock { n in
                            n += 1
                            return n
                        }
                        try CLI.emit(notification.payload, to: nil, newline: true)
                        if notification.options.observe == nil && n == 1 && limit.map({ $0 > 1 }) ?? true {
                            throw CLIFailure("the server does not offer observation of \(uri.path)", exitCode: CLI.responseErrorStatus)
                        }
                        if let limit, n >= limit { return .notifications(n) }
                    }
                    return .notifications(received.withLock { $0 })
                }
                if let duration {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(Int64(duration * 1000)))
                        return .durationElapsed
                    }
                }
                if let signals {
                    group.addTask {
                        for await signal in signals { return .interrupted(signal: signal) }
                        throw CancellationError()
                    }
                }
                let first = try await group.next() ?? .notifications(0)
                group.cancelAll()
                return first
            }
            switch ending {
            case .notifications(let n):
                if let limit, n < limit {
                    throw CLIFailure("the observation ended after \(n) of \(limit) notifications", exitCode: CLI.responseErrorStatus)
                }
            case .durationElapsed:
                break
            case .interrupted(let signal):
                guard received.withLock({ $0 }) > 0 else {
                    throw CLIFailure("interrupted (signal \(signal)) before the server answered the registration", exitCode: 128 + signal)
                }
            }
        }
    }
}
