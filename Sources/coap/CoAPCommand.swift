import ArgumentParser

@main
struct CoAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coap",
        abstract: "Talk to any CoAP server, plain or DTLS, with honest exit codes.",
        discussion: """
            Exit status: 0 on a 2.xx response; 1 on a 4.xx or 5.xx response; 3 on a timeout; \
            4 when the peer is unreachable or the exchange failed; 5 when the DTLS handshake \
            failed (wrong key, unknown identity, refused certificate); 64 on bad arguments. \
            `coap open` exits 2 when a message cannot be opened.
            """,
        subcommands: [
            GetCommand.self, PutCommand.self, PostCommand.self, DeleteCommand.self,
            FetchCommand.self, PatchCommand.self, ObserveCommand.self, DiscoverCommand.self, SealCommand.self, OpenCommand.self,
            ServeCommand.self,
        ]
    )
}
