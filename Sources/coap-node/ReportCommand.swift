import ArgumentParser
import CLIOptions
import CoAP
import Foundation
import LibCrypto
import Node
import Sealing
import SenML

/// `coap-node report`: take readings, seal them, deliver them, keep what could not be delivered.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report readings to a gateway: sealed, over DTLS or plain CoAP, queued while it is unreachable.",
        discussion: """
            Readings come from --value (one reading of all the given values, taken --count times every \
            --interval seconds) or from --stdin (one reading per line: name=value[,unit] pairs separated \
            by spaces, or a SenML JSON array). Each message is sealed (COSE_Encrypt0) with --kid, derived \
            from the device secret in --sealing-secret-file, unless --no-seal.

            With --queue DIR, readings are written there (encrypted under a key derived from the device \
            secret) before they are sent, and stay until the gateway answers 2.xx: what this run could not \
            deliver, the next run delivers first, in order. Sequence numbers are kept in the same directory \
            (or --state-dir; by default $XDG_STATE_HOME/coap-node/DEVICE) so they are never reused.

            Exit status: 0 when every reading was delivered; 2 when readings remain undelivered at exit \
            (their count is printed: queued in --queue for the next run, or lost); 65 when input lines were \
            not readings; 64 on bad arguments; 1 when the node could not run (its data directory).
            """
    )

    // MARK: Gateway and credentials

    @Option(help: "The gateway: coap://HOST[:PORT][/PATH] or coaps://... (path /readings when none).")
    var gateway: String

    @Option(help: "Device id: bound into every seal; the default PSK identity.")
    var device: String

    @OptionGroup var dtls: ClientDTLSOptions<GatewayDTLSWording>

    // MARK: Sealing

    @OptionGroup var sealing: SealingOptions

    @Flag(name: .customLong("no-seal"), help: "Send SenML unsealed (a --sealing-secret-file then only encrypts the queue).")
    var noSeal = false

    // MARK: Readings

    @Option(name: .customLong("value"), help: "A value of the reading: NAME=VALUE[,UNIT]. Repeat for several.")
    var values: [String] = []

    @Flag(help: "Read one reading per line from stdin: NAME=VALUE[,UNIT] pairs, or a SenML JSON array.")
    var stdin = false

    @Option(help: "How many readings of the --value set to take.")
    var count: Int = 1

    @Option(help: "Seconds between readings of --count.")
    var interval: Double = 10

    // MARK: Queue and delivery

    @Option(help: "Directory for the offline queue (encrypted) and sequence numbers; without it undelivered readings are lost at exit.")
    var queue: String?

    @Option(name: .customLong("queue-capacity"), help: "The most readings the queue holds.")
    var queueCapacity: Int = 10_000

    @Option(name: .customLong("when-full"), help: "When the queue is full: drop-oldest or refuse-new.")
    var whenFull: String = QueueOverflowPolicy.dropOldest.rawValue

    @Option(name: .customLong("state-dir"), help: "Directory for sequence numbers when there is no --queue.")
    var stateDir: String?

    @Flag(help: "Send NON messages (no CoAP acknowledgement; a reading still waits for the gateway's 2.xx response).")
    var non = false

    @Option(help: "SenML encoding: cbor (default, smaller) or json.")
    var format: String = "cbor"

    @Flag(name: .customLong("base-name"), help: "Put bn \"DEVICE/\" on each message (costs bytes; the gateway knows the device anyway).")
    var baseName = false

    @Option(help: "Seconds one message waits for its response.")
    var timeout: Double = 10

    @Option(help: "Seconds to keep retrying undelivered readings before exiting.")
    var wait: Double = 10

    @Flag(name: .shortAndLong, help: "Show each message's bytes on the wire, and log.")
    var verbose = false

    // MARK: Validation and wiring

    func validate() throws {
        if stdin == !values.isEmpty { throw ValidationError("give --value NAME=VALUE[,UNIT] (one or more) or --stdin") }
        for (i, value) in values.enumerated() {
            do { _ = try ReadingParser.parsePair(value, position: i + 1) } catch let error as NodeError {
                throw ValidationError("--value: \(error.message)")
            }
        }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard interval >= 0, interval.isFinite else { throw ValidationError("--interval must be 0 or more seconds") }
        guard timeout > 0, wait >= 0, dtls.handshakeTimeout > 0 else {
            throw ValidationError("--timeout and --handshake-timeout must be positive, --wait 0 or more")
        }
        if noSeal && sealing.kid != nil { throw ValidationError("--no-seal and --kid exclude each other") }
        if !noSeal && (sealing.sealingSecretFile == nil || sealing.kid == nil) {
            throw ValidationError("give --sealing-secret-file FILE and --kid HEX to seal, or --no-seal")
        }
        if queue != nil && sealing.sealingSecretFile == nil {
            throw ValidationError("--queue keeps readings encrypted under a key derived from the device secret: give --sealing-secret-file")
        }
        try sealing.check()
        guard QueueOverflowPolicy(rawValue: whenFull) != nil else { throw ValidationError("--when-full must be drop-oldest or refuse-new") }
        guard queueCapacity >= 1 else { throw ValidationError("--queue-capacity must be at least 1") }
        guard ["cbor", "json"].contains(format) else { throw ValidationError("--format must be cbor or json") }
        // Without --psk-identity, a key goes with the device id.
        try dtls.check(keyNeedsIdentity: false)
        let uri: CoAPURI
        do { uri = try CoAPURI(gateway) } catch { throw ValidationError(error.message) }
        let hasCredentials = dtls.givesCredentials
        if uri.isSecure && !hasCredentials {
            throw ValidationError("a coaps:// gateway needs --psk-key/--psk-key-hex/--psk-key-file or --cert/--key/--ca")
        }
        if !uri.isSecure && hasCredentials { throw ValidationError("DTLS credentials were given but the gateway is coap://; use coaps://") }
    }

    /// The reporter's configuration from the arguments. Throws ``CLIFailure`` with status 64 for
    /// credentials or secrets that cannot be read.
    func makeConfiguration() throws -> NodeReporter.Configuration {
        let uri: CoAPURI
        let dtls: DTLSClientConfiguration?
        do throws(CoAPError) {
            uri = try CoAPURI(gateway)
            dtls = try self.dtls.configuration(defaultIdentity: device)
        } catch {
            throw CLIFailure(error.message, exitCode: NodeCLI.usageStatus)
        }
        let secret: DeviceSecret?
        do {
            secret = try sealing.secret()
        } catch let error as SealingError {
            throw CLIFailure(error.message, exitCode: NodeCLI.usageStatus)
        }
        var configuration = NodeReporter.Configuration(gateway: uri, deviceID: device, dtls: dtls)
        if !noSeal, let secret, let kid = try sealing.kidBytes() {
            configuration.sealing = .init(secret: secret, kid: kid, algorithm: sealing.algorithm)
        }
        configuration.storageSecret = secret
        configuration.queueDirectory = queue
        configuration.stateDirectory = stateDir ?? (queue == nil && !noSeal ? Self.defaultStateDirectory(device: device) : nil)
        configuration.queueCapacity = queueCapacity
        configuration.overflowPolicy = QueueOverflowPolicy(rawValue: whenFull) ?? .dropOldest
        configuration.messageType = non ? .nonConfirmable : .confirmable
        configuration.format = format == "json" ? .senmlJSON : .senmlCBOR
        configuration.includeBaseName = baseName
        configuration.requestTimeout = .milliseconds(Int64(timeout * 1000))
        // One durable write covers a short run's messages (and its retries) while keeping the
        // numbers a run leaves unused, hence the Partial IV, small.
        configuration.sequenceReservation = stdin ? 32 : UInt64(min(max(count + 2, 4), 256))
        return configuration
    }

    /// `$XDG_STATE_HOME/coap-node/DEVICE`, or `~/.local/state/coap-node/DEVICE`.
    static func defaultStateDirectory(device: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        let safe = String(device.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return base + "/coap-node/" + safe
    }

    // MARK: Running

    func run() async throws {
        let status: Int32
        do {
            status = try await report()
        } catch let failure as CLIFailure {
            NodeCLI.printError(failure.description)
            throw ExitCode(failure.exitCode)
        }
        if status != NodeCLI.successStatus { throw ExitCode(status) }
    }

    private func report() async throws -> Int32 {
        let configuration = try makeConfiguration()
        let reporter: NodeReporter
        do {
            reporter = try NodeReporter(configuration: configuration, logger: NodeCLI.logger(verbose: verbose))
        } catch let error as NodeError {
            throw CLIFailure(error.message, exitCode: error.code == .invalidConfiguration ? NodeCLI.usageStatus : NodeCLI.failureStatus)
        }
        let before = await reporter.status
        if verbose && before.queued > 0 {
            NodeCLI.printOutput("\(before.queued) readings from earlier runs are queued; they go first")
        }
        var taken = 0
        var badLines = 0
        var delivered = 0
        var messages = 0
        func take(_ records: [SenMLRecord], line: Int?) async {
            do {
                let result = try await reporter.report(records)
                taken += 1
                delivered += result.delivered
                messages += result.messages.count
                if verbose { for m in result.messages { NodeCLI.printOutput("delivered " + m.description) } }
            } catch let error as NodeError where error.code == .queueFull {
                taken += 1
                NodeCLI.printError("\(error.message)")
            } catch {
                badLines += 1
                NodeCLI.printError((line.map { "line \($0): " } ?? "") + "\(error)")
            }
        }
        if stdin {
            var lineNumber = 0
            for await line in try StandardInputLines.stream() {
                lineNumber += 1
                do {
                    guard let records = try ReadingParser.parseLine(line) else { continue }
                    await take(records, line: lineNumber)
                } catch {
                    badLines += 1
                    NodeCLI.printError("line \(lineNumber): \(error)")
                }
            }
        } else {
            let records = try values.enumerated().map { try ReadingParser.parsePair($1, position: $0 + 1) }
            for i in 0..<count {
                if i > 0 { try? await Task.sleep(for: .milliseconds(Int64(interval * 1000))) }
                await take(records, line: nil)
            }
        }
        let flushed = await reporter.flush(timeout: .milliseconds(Int64(wait * 1000)))
        delivered += flushed.delivered
        messages += flushed.messages.count
        if verbose { for m in flushed.messages { NodeCLI.printOutput("delivered " + m.description) } }
        let after = await reporter.status
        await reporter.shutdown()
        return summarize(before: before, after: after, taken: taken, delivered: delivered, messages: messages, badLines: badLines)
    }

    private func summarize(before: NodeStatus, after: NodeStatus, taken: Int, delivered: Int, messages: Int, badLines: Int) -> Int32 {
        let dropped = after.counters.dropped - before.counters.dropped
        let refused = after.counters.refused - before.counters.refused
        let rejected = after.counters.rejected - before.counters.rejected
        let corrupt = after.counters.corrupt - before.counters.corrupt
        if verbose {
            NodeCLI.printOutput("took \(taken) readings; delivered \(delivered) in \(messages) messages; \(after.queued) queued")
        }
        var lost: [String] = []
        if dropped > 0 { lost.append("\(dropped) dropped (queue full)") }
        if refused > 0 { lost.append("\(refused) refused (queue full)") }
        if rejected > 0 { lost.append("\(rejected) rejected by the gateway") }
        if corrupt > 0 { lost.append("\(corrupt) damaged in the queue") }
        if let storageError = after.storageError { NodeCLI.printError("storage: \(storageError)") }
        guard after.queued == 0 && lost.isEmpty else {
            var line = "\(after.queued) readings undelivered"
            if after.queued > 0 {
                let inMemory = after.queuedInMemoryOnly
                if queue == nil {
                    line += " (lost: no --queue)"
                } else if inMemory > 0 {
                    line += " (\(after.queued - inMemory) kept in \(queue ?? "") for the next run; \(inMemory) held only in memory are lost)"
                } else {
                    line += " (kept in \(queue ?? "") for the next run)"
                }
            }
            if !lost.isEmpty { line += "; " + lost.joined(separator: ", ") }
            if let error = after.lastDeliveryError { line += "; last error: \(error)" }
            NodeCLI.printError(line)
            return NodeCLI.undeliveredStatus
        }
        return badLines > 0 ? NodeCLI.badInputStatus : NodeCLI.successStatus
    }
}
