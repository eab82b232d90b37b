import CLIOptions
import CoAP

extension ClientDTLSOptions {
    /// The DTLS set-up of the options; a credential that cannot be loaded (a bad key, a missing
    /// file) is a bad argument.
    func checkedConfiguration() throws -> DTLSClientConfiguration? {
        do throws(CoAPError) { return try configuration() } catch {
            throw CLIFailure(error.message, exitCode: CLI.usageStatus)
        }
    }
}
