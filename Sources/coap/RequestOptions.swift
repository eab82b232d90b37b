import ArgumentParser
import CLIOptions
import CoAP
import Foundation

/// Options every request command shares.
struct RequestOptions: ParsableArguments {
    @Argument(help: "coap://HOST[:PORT]/PATH[?QUERY]")
    var uri: String

    @Option(help: "Request body as text.")
    var payload: String?

    @Option(name: .customLong("payload-file"), help: "Read the request body from a file ('-' for stdin).")
    var payloadFile: String?

    @Option(name: .customLong("content-format"), help: "Content-Format of the body: a number or a name (text, json, cbor, senml+json, senml+cbor, link, octet, cose).")
    var contentFormat: String?

    @Option(help: "Accept: the Content-Format wanted in the response.")
    var accept: String?

    @Flag(help: "Send a non-confirmable (NON) request.")
    var non = false

    @Option(help: "Seconds to wait for the response.")
    var timeout: Double = 10

    @Option(name: .customLong("output"), help: "Write the response body to a file instead of stdout.")
    var output: String?

    @Flag(name: .shortAndLong, help: "Print the response code and options to stderr.")
    var verbose = false

    @Option(name: .customLong("block-size"), help: "Block size for block-wise transfers: 16, 32, ..., 1024 bytes.")
    var blockSize: Int?

    @OptionGroup(title: "DTLS (coaps://)")
    var security: ClientDTLSOptions<RequestDTLSWording>

    func validate() throws {
        try security.check()
        if payload != nil && payloadFile != nil {
            throw ValidationError("give --payload or --payload-file, not both")
        }
        if let contentFormat, ContentFormat(argument: contentFormat) == nil {
            throw ValidationError("unknown content format '\(contentFormat)'")
        }
        if let accept, ContentFormat(argument: accept) == nil {
            throw ValidationError("unknown content format '\(accept)'")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let blockSize, ![16, 32, 64, 128, 256, 512, 1024].contains(blockSize) {
            throw ValidationError("--block-size must be a power of two from 16 to 1024")
        }
    }

    func body() throws -> [UInt8] {
        if let payload { return Array(payload.utf8) }
        guard let payloadFile else { return [] }
        if payloadFile == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: payloadFile) else {
            throw CLIFailure("cannot read payload file '\(payloadFile)'")
        }
        return Array(data)
    }

    var timeoutDuration: Duration { .milliseconds(Int64(timeout * 1000)) }

    func clientConfiguration() throws -> CoAPClient.Configuration {
        CoAPClient.Configuration(requestTimeout: timeoutDuration, blockSize: blockSize, dtls: try security.checkedConfiguration())
    }
}
