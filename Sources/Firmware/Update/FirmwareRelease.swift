/// One firmware image for one device class, as this stack ships and installs it: the subset of
/// SUIT an update needs, read out of a manifest or built into one.
///
/// The manifest shape is fixed (one component, `[h'00']`):
/// - common: `override-parameters {vendor-id, class-id, image-digest, image-size}`,
///   `condition-vendor-identifier`, `condition-class-identifier`;
/// - validate: `condition-image-match`;
/// - install (when there is a URI): `override-parameters {uri}`, `directive-fetch`,
///   `condition-image-match`;
/// - text: the version string as the component's `component-version`.
///
/// ``init(manifest:)`` accepts any manifest a node can carry out with one image, fetch and
/// digest check (the draft's Example 1, for instance), and refuses anything more (try-each, copy,
/// swap, several components, ...) as ``SUITError/Code/unsupported``: a node never installs a
/// manifest it only partly understood.
public struct FirmwareRelease: Hashable, Sendable {
    /// The component every release installs.
    public static let component = SUITComponentIdentifier([[0x00]])

    /// The manifest sequence number (the anti-rollback counter).
    public var sequenceNumber: UInt64
    /// The vendor's UUID (16 bytes).
    public var vendorID: [UInt8]
    /// The device class's UUID (16 bytes).
    public var classID: [UInt8]
    /// The image's SHA-256.
    public var imageDigest: SUITDigest
    /// The image's size in bytes.
    public var imageSize: UInt64
    /// Where the image is fetched from, if the manifest says.
    public var uri: String?
    /// The version string (`component-version` text), if the manifest has one.
    public var version: String?

    /// A release.
    public init(
        sequenceNumber: UInt64, vendorID: [UInt8], classID: [UInt8], imageDigest: SUITDigest, imageSize: UInt64,
        uri: String? = nil, version: String? = nil
    ) {
        self.sequenceNumber = sequenceNumber
        self.vendorID = vendorID
        self.classID = classID
        self.imageDigest = imageDigest
        self.imageSize = imageSize
        self.uri = uri
        self.version = version
    }

    /// The manifest that describes this release.
    public var manifest: SUITManifest {
        var parameters = SUITParameters()
        parameters.vendorID = vendorID
        parameters.classID = classID
        parameters.imageDigest = imageDigest
        parameters.imageSize = imageSize
        let shared = SUITCommandSequence([
            .overrideParameters(parameters),
            .condition(.vendorIdentifier, reportingPolicy: SUITReportingPolicy.default),
            .condition(.classIdentifier, reportingPolicy: SUITReportingPolicy.default),
        ])
        var install: SUITSeverable<SUITCommandSequence>?
        if let uri {
            var location = SUITParameters()
            location.uri = uri
            install = .present(
                SUITCommandSequence([
                    .overrideParameters(location),
                    .directive(.fetch, reportingPolicy: SUITReportingPolicy.default),
                    .condition(.imageMatch, reportingPolicy: SUITReportingPolicy.default),
                ]))
        }
        var text: SUITSeverable<SUITText>?
        if let version {
            var entries = SUITText.Entries()
            entries.components[Self.component] = [.componentVersion: version]
            text = .present(SUITText(languages: ["en": entries]))
        }
        return SUITManifest(
            sequenceNumber: sequenceNumber,
            common: SUITCommon(components: [Self.component], sharedSequence: shared),
            validate: SUITCommandSequence([.condition(.imageMatch, reportingPolicy: SUITReportingPolicy.default)]),
            install: install, text: text)
    }

    /// Reads the release out of `manifest`, refusing what a single-image node cannot carry out.
    public init(manifest: SUITManifest) throws {
        guard manifest.common.components.count == 1 else {
            throw SUITError.unsupported("manifest.common.components", "\(manifest.common.components.count) components (a node installs one image)")
        }
        var interpreter = Interpreter()
        try interpreter.run(manifest.common.sharedSequence, "manifest.common.shared-sequence", allowing: [])
        try interpreter.run(manifest.validate, "manifest.validate", allowing: [])
        switch manifest.install {
        case .present(let install): try interpreter.run(install, "manifest.install", allowing: [.fetch])
        case .severed: throw SUITError.malformed("manifest.install", "severed, and the envelope does not carry it")
        case nil: break
        }
        try interpreter.run(manifest.invoke, "manifest.invoke", allowing: [.invoke])
        if manifest.load != nil { throw SUITError.unsupported("manifest.load", "a load sequence (a node runs the image where it is installed)") }
        if manifest.payloadFetch != nil { throw SUITError.unsupported("manifest.payload-fetch", "a payload-fetch sequence") }

        let parameters = interpreter.parameters
        guard interpreter.checked.contains(.vendorIdentifier), let vendorID = parameters.vendorID else {
            throw SUITError.malformed("manifest", "no vendor-id checked by condition-vendor-identifier")
        }
        guard interpreter.checked.contains(.classIdentifier), let classID = parameters.classID else {
            throw SUITError.malformed("manifest", "no class-id checked by condition-class-identifier")
        }
        guard interpreter.checked.contains(.imageMatch), let digest = parameters.imageDigest else {
            throw SUITError.malformed("manifest", "no image-digest checked by condition-image-match")
        }
        guard let size = parameters.imageSize else { throw SUITError.malformed("manifest", "no image-size") }
        guard manifest.install != nil, interpreter.fetched else {
            throw SUITError.unsupported("manifest", "no install sequence fetching the image (nothing for a node to download)")
        }
        self.init(
            sequenceNumber: manifest.sequenceNumber, vendorID: vendorID, classID: classID, imageDigest: digest, imageSize: size,
            uri: parameters.uri, version: manifest.text?.value?.componentVersion(of: manifest.common.components[0]))
    }

    /// Walks the command sequences of a single-component manifest, collecting parameters and the
    /// conditions checked.
    private struct Interpreter {
        var parameters = SUITParameters()
        var checked: Set<SUITCondition> = []
        var fetched = false

        mutating func run(_ sequence: SUITCommandSequence?, _ path: String, allowing directives: Set<SUITDirective>) throws {
            guard let sequence else { return }
            for (index, command) in sequence.commands.enumerated() {
                let here = "\(path)[\(index * 2)]"
                switch command {
                case .overrideParameters(let new):
                    parameters = parameters.overridden(by: new)
                case .setParameters(let new):
                    parameters = new.overridden(by: parameters)
                case .setComponentIndex(.index(0)), .setComponentIndex(.all):
                    break
                case .condition(let condition, _) where [.vendorIdentifier, .classIdentifier, .imageMatch].contains(condition):
                    checked.insert(condition)
                case .directive(let directive, _) where directives.contains(directive):
                    if directive == .fetch {
                        guard parameters.uri != nil else { throw SUITError.malformed(here, "directive-fetch with no uri set") }
                        fetched = true
                    }
                default:
                    throw SUITError.unsupported(here, "\(command.name) is not supported by a node here")
                }
            }
        }
    }
}

/// SUIT reporting policies (draft-ietf-suit-manifest §8.4.9): bits asking the device to report.
public enum SUITReportingPolicy {
    /// Record success, record failure, system info on success and on failure (15), as the
    /// draft's examples use.
    public static let `default`: UInt64 = 15
}
