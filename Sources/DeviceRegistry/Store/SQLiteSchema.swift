internal import GRDB

/// The SQLite schema, as versioned migrations. A migration, once released, never changes: a new
/// schema version is a new migration appended here. A database that names a migration this build
/// does not know was written by a newer version, and is refused.
enum SQLiteSchema {
    /// The schema version this build writes (the number of migrations).
    static let version = 1

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: devices, credentials, rules, audit log") { db in
            try db.execute(sql: """
                CREATE TABLE registry_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE registry_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    change_counter INTEGER NOT NULL
                );
                INSERT INTO registry_state (id, change_counter) VALUES (1, 0);

                CREATE TABLE devices (
                    id TEXT PRIMARY KEY NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    firmware_version TEXT,
                    last_seen INTEGER,
                    labels TEXT NOT NULL DEFAULT '{}',
                    require_sealed_readings INTEGER NOT NULL DEFAULT 1,
                    is_admin INTEGER NOT NULL DEFAULT 0
                );

                CREATE TABLE credentials (
                    id TEXT PRIMARY KEY NOT NULL,
                    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('psk', 'x509', 'sealing')),
                    psk_identity TEXT UNIQUE,
                    fingerprint TEXT,
                    subject TEXT,
                    kid BLOB UNIQUE,
                    algorithm INTEGER,
                    sealed_secret BLOB,
                    not_before INTEGER,
                    not_after INTEGER,
                    status TEXT NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX credentials_by_device ON credentials(device_id);
                CREATE INDEX credentials_by_fingerprint ON credentials(fingerprint);
                CREATE INDEX credentials_by_subject ON credentials(subject);

                CREATE TABLE access_rules (
                    id TEXT PRIMARY KEY NOT NULL,
                    device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
                    methods TEXT NOT NULL,
                    pattern TEXT NOT NULL,
                    effect TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX access_rules_by_device ON access_rules(device_id);

                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY NOT NULL,
                    time INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    device_id TEXT,
                    actor TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    previous_code BLOB NOT NULL,
                    code BLOB NOT NULL
                );
                CREATE INDEX audit_log_by_time ON audit_log(time);

                -- Append-only by accident-proofing; the HMAC chain is what detects deliberate edits.
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
            try db.execute(sql: "INSERT INTO registry_meta (key, value) VALUES ('schema_version', ?)", arguments: ["1"])
        }
        return migrator
    }
}
