import ArgumentParser
import DeviceRegistry

/// `DEVICE "METHODS PATH"` or `--all "METHODS PATH"`.
struct RuleTarget: ParsableArguments {
    @Flag(name: .customLong("all"), help: "The rule is for every device.") var all = false
    @Argument(help: "DEVICE and \"METHODS PATH\" (e.g. dev-1 \"GET,POST /readings/{device}\"), or only the rule with --all.")
    var words: [String] = []

    func validate() throws {
        guard words.count == (all ? 1 : 2) else {
            throw ValidationError(all ? "with --all, give only \"METHODS PATH\"" : "give DEVICE and \"METHODS PATH\" (quote the rule)")
        }
    }

    var device: String? { all ? nil : words[0] }
    var rule: String { words[words.count - 1] }
}

func addRule(_ effect: AccessRule.Effect, target: RuleTarget, store: StoreOptions) throws {
    try CLI.run {
        let registry = try store.open()
        defer { registry.close() }
        let rule = effect == .allow
            ? try registry.allow(deviceID: target.device, target.rule)
            : try registry.deny(deviceID: target.device, target.rule)
        print("\(rule.effect.rawValue) \(rule.specification) for \(rule.deviceID.map { "device \($0)" } ?? "all devices") (rule \(rule.id))")
    }
}

struct AllowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allow",
        abstract: "Allow a device (or --all devices) METHODS on PATH.",
        discussion: "PATH may use {device} (the device's own id), * (one segment) and a final ** (any rest).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var target: RuleTarget
    func run() throws { try addRule(.allow, target: target, store: store) }
}

struct DenyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Deny a device (or --all devices) METHODS on PATH, overriding any allow rule.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var target: RuleTarget
    func run() throws { try addRule(.deny, target: target, store: store) }
}

struct RuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule", abstract: "Add, list and remove access rules.",
        subcommands: [RuleAddCommand.self, RuleListCommand.self, RuleRemoveCommand.self])
}

struct RuleAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an allow (or --deny) rule.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var target: RuleTarget
    @Flag(help: "Add a deny rule instead of an allow rule.") var deny = false
    func run() throws { try addRule(deny ? .deny : .allow, target: target, store: store) }
}

struct RuleListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List rules (of one device and those for all devices).")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Only the rules that apply to this device.") var device: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            let rules = try registry.rules(forDevice: device)
            if json { return try CLI.printJSON(rules) }
            CLI.printTable(
                ["ID", "DEVICE", "EFFECT", "RULE"],
                rules.map { [$0.id, $0.deviceID ?? "(all)", $0.effect.rawValue, $0.specification] })
        }
    }
}

struct RuleRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a rule by id.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The rule id (see `rule list`).") var rule: String

    func run() throws {
        try CLI.run {
            let registry = try store.open()
            defer { registry.close() }
            try registry.removeRule(rule)
            print("removed rule \(rule)")
        }
    }
}
