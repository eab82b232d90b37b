internal import LibCrypto

extension SUITEnvelope {
    /// The envelope in readable form: the authentication wrapper, then every member and command
    /// of the manifest with the draft's names (as the draft's example listings show them), then
    /// whether a node here would carry it out as a release.
    public func readableDescription() -> String {
        var lines = ["SUIT envelope (CBOR tag 107), \(encoded.count) bytes"]
        let algorithms = signatures.map { (try? $0.algorithm().description) ?? "unsupported algorithm" }
        lines.append("authentication-wrapper: digest \(digest), \(signatures.count) signature(s)\(algorithms.isEmpty ? "" : ": " + algorithms.joined(separator: ", "))")
        lines.append("manifest: \(encodedManifest.count) bytes")
        lines.append("  manifest-version: 1")
        lines.append("  manifest-sequence-number: \(manifest.sequenceNumber)")
        lines.append("  common:")
        lines.append("    components: " + manifest.common.components.map(\.description).joined(separator: ", "))
        describe(manifest.common.sharedSequence, "shared-sequence", indent: "    ", into: &lines)
        if let uri = manifest.referenceURI { lines.append("  reference-uri: \"\(uri)\"") }
        describe(manifest.validate, "validate", indent: "  ", into: &lines)
        describe(manifest.load, "load", indent: "  ", into: &lines)
        describe(manifest.invoke, "invoke", indent: "  ", into: &lines)
        describe(manifest.payloadFetch, "payload-fetch", into: &lines)
        describe(manifest.install, "install", into: &lines)
        switch manifest.text {
        case .present(let text):
            lines.append("  text:")
            for language in text.languages.keys.sorted() {
                let entries = text.languages[language]!
                lines.append("    \(language.isEmpty ? "(no language)" : language):")
                for key in entries.manifest.keys.sorted() { lines.append("      \(key): \(Self.quoted(entries.manifest[key]!))") }
                for component in entries.components.keys.sorted(by: { $0.description < $1.description }) {
                    for (key, value) in entries.components[component]!.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                        lines.append("      \(component) \(key.name): \(Self.quoted(value))")
                    }
                }
            }
        case .severed(let digest): lines.append("  text: severed, \(digest) (not in the envelope)")
        case nil: break
        }
        for name in integratedPayloads.keys.sorted() { lines.append("integrated payload \(name): \(integratedPayloads[name]!.count) bytes") }
        do {
            let release = try FirmwareRelease(manifest: manifest)
            lines.append(
                "release: version \(release.version ?? "(none)"), sequence \(release.sequenceNumber), \(release.imageSize) bytes, "
                    + "\(release.imageDigest), from \(release.uri ?? "(no uri)")")
        } catch {
            lines.append("release: not one a node here installs: \(error)")
        }
        return lines.joined(separator: "\n")
    }

    private func describe(_ member: SUITSeverable<SUITCommandSequence>?, _ name: String, into lines: inout [String]) {
        switch member {
        case .present(let sequence): describe(sequence, name, indent: "  ", into: &lines)
        case .severed(let digest): lines.append("  \(name): severed, \(digest) (not in the envelope)")
        case nil: break
        }
    }

    private func describe(_ sequence: SUITCommandSequence?, _ name: String, indent: String, into lines: inout [String]) {
        guard let sequence else { return }
        lines.append("\(indent)\(name):")
        for command in sequence.commands { Self.describe(command, indent: indent + "  ", into: &lines) }
    }

    private static func describe(_ command: SUITCommand, indent: String, into lines: inout [String]) {
        switch command {
        case .condition(_, let policy), .directive(_, let policy):
            lines.append("\(indent)\(command.name) \(policy)")
        case .setComponentIndex(let selection):
            let text: String =
                switch selection {
                case .index(let index): "\(index)"
                case .indices(let indices): indices.map(String.init).joined(separator: ", ")
                case .all: "true"
                }
            lines.append("\(indent)\(command.name) \(text)")
        case .overrideParameters(let parameters), .setParameters(let parameters):
            lines.append("\(indent)\(command.name) {")
            for key in parameters.keys { lines.append("\(indent)  \(key.name): \(value(of: key, in: parameters))") }
            lines.append("\(indent)}")
        case .tryEach(let sequences, let allowNone):
            lines.append("\(indent)\(command.name)\(allowNone ? " (none may pass)" : "")")
            for (index, sequence) in sequences.enumerated() {
                lines.append("\(indent)  option \(index + 1):")
                for inner in sequence.commands { describe(inner, indent: indent + "    ", into: &lines) }
            }
        case .runSequence(let sequence):
            lines.append("\(indent)\(command.name)")
            for inner in sequence.commands { describe(inner, indent: indent + "  ", into: &lines) }
        }
    }

    private static func value(of key: SUITParameters.Key, in parameters: SUITParameters) -> String {
        switch key {
        case .vendorIdentifier: uuid(parameters.vendorID!)
        case .classIdentifier: uuid(parameters.classID!)
        case .deviceIdentifier: uuid(parameters.deviceID!)
        case .imageDigest: parameters.imageDigest!.description
        case .componentSlot: "\(parameters.componentSlot!)"
        case .strictOrder: "\(parameters.strictOrder!)"
        case .softFailure: "\(parameters.softFailure!)"
        case .imageSize: "\(parameters.imageSize!)"
        case .content: "\(parameters.content!.count) bytes"
        case .uri: quoted(parameters.uri!)
        case .sourceComponent: "\(parameters.sourceComponent!)"
        case .invokeArguments: "h'\(Hex.encode(parameters.invokeArguments!))'"
        }
    }

    /// 16 bytes as a UUID string.
    static func uuid(_ bytes: [UInt8]) -> String {
        let hex = Hex.encode(bytes)
        guard bytes.count == 16 else { return "h'\(hex)'" }
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    /// A text in double quotes, control characters escaped so that a manifest's text cannot
    /// write to the terminal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
