import ArgumentParser

@main
struct CoAPNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coap-node",
        abstract: "A low-power node: report sealed readings to a gateway, keeping them through outages and restarts.",
        subcommands: [ReportCommand.self]
    )
}
