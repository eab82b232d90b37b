import ArgumentParser
import CoAP
import Foundation

struct ObserveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observe",
        abstract: "Observe a resource (RFC 7641) and print each notification on its own line.",
        discussion: "Stops after --count notifications or --duration seconds, then deregisters."
    )

    @OptionGroup var options: RequestOptions

    @Option(help: "Stop after this many notifications (the first response counts).")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if count == nil && duration == nil { throw ValidationError("give --count or --duration") }
    }

    func run() async throws {
        try await CLI.run("observe") {
            let client = try CoAPClient(configuration: try options.clientConfiguration(), logger: CLI.logger(verbose: options.verbose))
            defer { client.shutdown() }
            let uri = try CoAPURI(options.uri)
            var request = CoAPRequest(method: .get, uri: uri)
            if let accept = options.accept.flatMap(ContentFormat.init(argument:)) { request.options.accept = accept }
            let observation = try client.observe(request, at: uri, timeout: options.timeoutDuration)
            let limit = count
            let received = try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask {
                    var n = 0
                    for try await notification in observation {
                        if options.verbose { CLI.describe(notification) }
                        guard notification.code.isSuccess else {
                            throw CLIFailure("\(notification.code)", exitCode: CLI.responseErrorStatus)
                        }
                        n += 1
                        try CLI.emit(notification.payload, to: nil, newline: true)
                        if notification.options.observe == nil && n == 1 && limit.map({ $0 > 1 }) ?? true {
                            throw CLIFailure("the server does not offer observation of \(uri.path)", exitCode: CLI.responseErrorStatus)
                        }
                        if let limit, n >= limit { return n }
                    }
                    return n
                }
                if let duration {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(Int64(duration * 1000)))
                        return nil
                    }
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let limit, let received, received < limit {
                throw CLIFailure("the observation ended after \(received) of \(limit) notifications", exitCode: CLI.responseErrorStatus)
            }
        }
    }
}
