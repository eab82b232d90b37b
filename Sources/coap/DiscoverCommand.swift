import ArgumentParser
import CLIOptions
import CoAP

struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List a server's resources (GET /.well-known/core, RFC 6690), one link per line."
    )

    @Argument(help: "coap://HOST[:PORT]/ (the path is ignored)")
    var uri: String

    @Option(help: "Only resources with this resource type (rt=...).")
    var rt: String?

    @Option(help: "Seconds to wait for the response.")
    var timeout: Double = 10

    @Flag(name: .shortAndLong, help: "Print the response code and options to stderr.")
    var verbose = false

    @OptionGroup(title: "DTLS (coaps://)")
    var security: ClientDTLSOptions<RequestDTLSWording>

    func validate() throws {
        try security.check()
    }

    func run() async throws {
        try await CLI.run("discover") {
            let client = try CoAPClient(configuration: .init(dtls: try security.checkedConfiguration()), logger: CLI.logger(verbose: verbose))
            defer { client.shutdown() }
            var target = try CoAPURI(uri)
            target.pathSegments = [".well-known", "core"]
            target.query = rt.map { ["rt=\($0)"] } ?? []
            let response = try await client.send(
                CoAPRequest(method: .get, uri: target), to: target, timeout: .milliseconds(Int64(timeout * 1000)))
            if verbose { CLI.describe(response) }
            guard response.code.isSuccess else {
                throw CLIFailure("\(response.code)", exitCode: CLI.responseErrorStatus)
            }
            for link in LinkFormat.split(response.text) { print(link) }
        }
    }
}
