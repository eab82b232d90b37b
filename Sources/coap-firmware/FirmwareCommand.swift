import ArgumentParser

/// `coap-firmware`: the admin's side of a firmware update. Keys, signing and inspection stay on
/// the admin's machine; the registry and the nodes get only the public key (the trust anchor).
struct FirmwareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coap-firmware",
        abstract: "Make firmware signing keys, sign images as SUIT envelopes, and inspect or verify envelopes.",
        discussion: """
            Envelopes follow draft-ietf-suit-manifest (CBOR tag 107), signed with COSE_Sign1 (ES256 for \
            P-256 keys, EdDSA for Ed25519 keys). docs/firmware.md says what is checked.

            Exit status: 0 on success; 1 when an envelope does not verify or a file is refused; \
            64 on bad arguments; 65 when an envelope is malformed or uses what is not implemented.
            """,
        subcommands: [KeygenCommand.self, SignCommand.self, InspectCommand.self]
    )
}
