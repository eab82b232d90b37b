import ArgumentParser

/// `coap-registry`: provision, rotate, suspend and revoke devices; read and verify the audit log.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coap-registry",
        abstract: "Manage the SecureCoAP device registry: devices, credentials, access rules and the audit log.",
        discussion: """
            The registry is an SQLite database (--db, default $SECURECOAP_REGISTRY_DB or ./data/registry.db). \
            Secrets in it are encrypted under a master key file (--master-key-file, default \
            $SECURECOAP_MASTER_KEY_FILE or <db>.master-key), which `init` creates with mode 0600.

            Exit status: 0 on success; 1 when something is not found, already exists, or is refused \
            (wrong master key, locked or newer database, broken audit log, findings of `check`); \
            64 on bad arguments.
            """,
        subcommands: [
            InitCommand.self, AddCommand.self, ListCommand.self, ShowCommand.self, RotateCommand.self,
            SuspendCommand.self, ResumeCommand.self, RevokeCommand.self, RemoveCommand.self,
            AllowCommand.self, DenyCommand.self, AuditCommand.self, ExportCommand.self, ImportCommand.self,
            CheckCommand.self,
            DeviceCommand.self, PSKCommand.self, CertCommand.self, SealingCommand.self, CredentialCommand.self,
            RuleCommand.self,
        ]
    )
}
