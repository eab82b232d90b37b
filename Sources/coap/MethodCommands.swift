import ArgumentParser
import CoAP

/// Sends one request and reports the response; shared by the method commands.
enum RequestRunner {
    static func run(_ method: CoAPMethod, _ options: RequestOptions) async throws {
        try await CLI.run(method.description.lowercased()) {
            let client = try CoAPClient(configuration: try options.clientConfiguration(), logger: CLI.logger(verbose: options.verbose))
            defer { client.shutdown() }
            let uri = try CoAPURI(options.uri)
            var request = CoAPRequest(
                method: method, uri: uri, type: options.non ? .nonConfirmable : .confirmable,
                payload: try options.body(),
                contentFormat: options.contentFormat.flatMap(ContentFormat.init(argument:)))
            if let accept = options.accept.flatMap(ContentFormat.init(argument:)) { request.options.accept = accept }
            let response = try await client.send(request, to: uri, timeout: options.timeoutDuration)
            if options.verbose { CLI.describe(response) }
            guard response.code.isSuccess else {
                let diagnostic = response.payload.isEmpty || response.text == response.code.phrase ? "" : ": \(response.text)"
                throw CLIFailure("\(response.code)\(diagnostic)", exitCode: CLI.responseErrorStatus)
            }
            try CLI.emit(response.payload, to: options.output)
        }
    }
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Send a GET request.")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.get, options) }
}

struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Send a PUT request.")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.put, options) }
}

struct PostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "post", abstract: "Send a POST request.")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.post, options) }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Send a DELETE request.")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.delete, options) }
}

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Send a FETCH request (RFC 8132).")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.fetch, options) }
}

struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patch", abstract: "Send a PATCH request (RFC 8132).")
    @OptionGroup var options: RequestOptions
    func run() async throws { try await RequestRunner.run(.patch, options) }
}
