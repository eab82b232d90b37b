public import Foundation

extension DeviceRegistry {
    /// The registry as an export document (secrets stay encrypted). Audited (`registry.export`).
    public func exportDocument() throws -> RegistryExport {
        try store.write { transaction in
            let credentials = Dictionary(grouping: try transaction.credentials(), by: \.credential.deviceID)
            let devices = try transaction.devices().map { device in
                RegistryExport.ExportedDevice(
                    device: device,
                    credentials: (credentials[device.id] ?? []).map {
                        RegistryExport.ExportedCredential(credential: $0.credential, encryptedSecret: $0.sealedSecret.map { Data($0).base64EncodedString() })
                    })
            }
            let rules = try transaction.rules()
            try appendAudit(
                transaction, .registryExported, deviceID: nil,
                detail: "exported \(devices.count) devices, \(credentials.values.reduce(0) { $0 + $1.count }) credentials, \(rules.count) rules")
            return RegistryExport(exportedAt: Date(), keyCheck: key.checkValue, devices: devices, rules: rules)
        }
    }

    /// The export document as JSON (see ``RegistryJSON``).
    public func exportJSON() throws -> Data {
        try RegistryJSON.encoder().encode(exportDocument())
    }

    /// Adds the devices, credentials and rules of an export, all or nothing: a device or
    /// credential that exists already, an invalid entry, a secret that does not decrypt, or an
    /// export made under another master key refuses the whole import. Audited (`registry.import`).
    @discardableResult
    public func importJSON(_ data: Data) throws -> ImportSummary {
        let document: RegistryExport
        do {
            document = try RegistryJSON.decoder().decode(RegistryExport.self, from: data)
        } catch {
            throw DeviceRegistryError(.invalidArgument, "not a registry export: \(Self.describeDecoding(error))")
        }
        guard document.format == RegistryExport.formatName else {
            throw DeviceRegistryError(.invalidArgument, "not a registry export (format '\(document.format)')")
        }
        guard document.version <= RegistryExport.currentVersion else {
            throw DeviceRegistryError(.unsupportedVersion, "the export has version \(document.version), newer than this tool reads (\(RegistryExport.currentVersion))")
        }
        guard document.keyCheck == key.checkValue else {
            throw DeviceRegistryError(.masterKey, "the export was made under another master key; its secrets cannot be imported here")
        }
        // Validate everything before writing anything.
        let box = try SecretBox(key: key)
        var stored: [StoredCredential] = []
        for entry in document.devices {
            let device = entry.device
            try InputValidation.checkDeviceID(device.id)
            try InputValidation.checkLabels(device.labels)
            for exported in entry.credentials {
                let credential = exported.credential
                guard credential.deviceID == device.id else {
                    throw DeviceRegistryError(.invalidArgument, "credential \(credential.id) is listed under device \(device.id) but names \(credential.deviceID)")
                }
                try Self.validateImported(credential)
                var sealed: [UInt8]? = nil
                if let text = exported.encryptedSecret {
                    guard let data = Data(base64Encoded: text) else {
                        throw DeviceRegistryError(.invalidArgument, "credential \(credential.id) has a malformed encrypted secret")
                    }
                    sealed = [UInt8](data)
                    _ = try box.open(sealed!, deviceID: credential.deviceID, credentialID: credential.id)
                } else if credential.kind != .x509 {
                    throw DeviceRegistryError(.invalidArgument, "credential \(credential.id) (\(credential.kind.rawValue)) has no secret")
                }
                stored.append(StoredCredential(credential: credential, sealedSecret: sealed))
            }
        }
        for rule in document.rules {
            _ = try AccessRule.normalizeMethods(rule.methods)
            _ = try PathPattern(rule.pattern)
        }
        return try change { transaction in
            for entry in document.devices { try transaction.insertDevice(entry.device) }
            for credential in stored {
                try checkUnique(credential.credential, in: transaction)
                if try transaction.credential(id: credential.credential.id) != nil {
                    throw DeviceRegistryError(.alreadyExists, "credential \(credential.credential.id) already exists")
                }
                try transaction.insertCredential(credential)
            }
            let existingRules = Set(try transaction.rules().map(\.id))
            for rule in document.rules {
                var rule = rule
                if existingRules.contains(rule.id) { rule.id = try Self.newID() }
                try transaction.insertRule(rule)
            }
            let summary = ImportSummary(devices: document.devices.count, credentials: stored.count, rules: document.rules.count)
            try appendAudit(
                transaction, .registryImported, deviceID: nil,
                detail: "imported \(summary.devices) devices (\(document.devices.map(\.device.id).joined(separator: ", "))), \(summary.credentials) credentials, \(summary.rules) rules")
            return summary
        }
    }

    private static func validateImported(_ credential: Credential) throws {
        try InputValidation.checkValidity(notBefore: credential.notBefore, notAfter: credential.notAfter)
        switch credential.kind {
        case .psk:
            guard let identity = credential.pskIdentity else {
                throw DeviceRegistryError(.invalidArgument, "PSK credential \(credential.id) has no identity")
            }
            try InputValidation.checkPSKIdentity(identity)
        case .sealing:
            guard let kid = credential.kid else { throw DeviceRegistryError(.invalidArgument, "sealing credential \(credential.id) has no kid") }
            try InputValidation.checkKid(kid)
            guard InputValidation.sealingAlgorithms.contains(credential.algorithm ?? -1) else {
                throw DeviceRegistryError(.invalidArgument, "sealing credential \(credential.id) has an unsupported algorithm")
            }
        case .x509:
            if let fingerprint = credential.fingerprint {
                guard try InputValidation.normalizeFingerprint(fingerprint) == fingerprint else {
                    throw DeviceRegistryError(.invalidArgument, "certificate credential \(credential.id) has a malformed fingerprint")
                }
            }
            if let subject = credential.subject { try InputValidation.checkSubject(subject) }
            guard credential.fingerprint != nil || credential.subject != nil else {
                throw DeviceRegistryError(.invalidArgument, "certificate credential \(credential.id) has neither fingerprint nor subject")
            }
        }
    }

    static func describeDecoding(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "\(context.debugDescription)\(path.isEmpty ? "" : " at \(path)")"
        @unknown default:
            return "\(error)"
        }
    }
}
