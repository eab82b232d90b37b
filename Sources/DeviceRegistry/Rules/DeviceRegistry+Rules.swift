import Foundation

extension DeviceRegistry {
    /// Adds an access rule for one device (`deviceID`) or for every device (nil). Adding a rule that
    /// exists already changes nothing; adding one that exists with the opposite effect replaces it
    /// (the last decision for the same methods and pattern wins).
    @discardableResult
    public func addRule(deviceID: String?, methods: [String], pattern: String, effect: AccessRule.Effect = .allow) throws -> AccessRule {
        if let deviceID { try InputValidation.checkDeviceID(deviceID) }
        let methods = try AccessRule.normalizeMethods(methods)
        let pattern = try PathPattern(pattern).text
        return try change { transaction in
            if let deviceID { _ = try Self.existingDevice(deviceID, in: transaction) }
            let same = try transaction.rules().filter { $0.deviceID == deviceID && $0.methods == methods && $0.pattern == pattern }
            if let existing = same.first(where: { $0.effect == effect }) { return existing }
            for opposite in same {
                try transaction.deleteRule(id: opposite.id)
                try appendAudit(transaction, .ruleRemoved, deviceID: deviceID, detail: "\(opposite.effect.rawValue) \(opposite.specification) (\(opposite.id)), replaced")
            }
            let rule = AccessRule(id: try Self.newID(), deviceID: deviceID, methods: methods, pattern: pattern, effect: effect, createdAt: Date().roundedToMilliseconds)
            try transaction.insertRule(rule)
            try appendAudit(
                transaction, .ruleAdded, deviceID: deviceID,
                detail: "\(effect.rawValue) \(rule.specification) (\(rule.id))\(deviceID == nil ? " for all devices" : "")")
            return rule
        }
    }

    /// Adds an allow rule from `"METHODS PATH"` (for example `"GET,POST /readings/{device}"`).
    @discardableResult
    public func allow(deviceID: String?, _ specification: String) throws -> AccessRule {
        let (methods, pattern) = try AccessRule.parseSpecification(specification)
        return try addRule(deviceID: deviceID, methods: methods, pattern: pattern, effect: .allow)
    }

    /// Adds a deny rule from `"METHODS PATH"`; it overrides any allow rule, including rules for all
    /// devices, and replaces an identical allow rule of the same device.
    @discardableResult
    public func deny(deviceID: String?, _ specification: String) throws -> AccessRule {
        let (methods, pattern) = try AccessRule.parseSpecification(specification)
        return try addRule(deviceID: deviceID, methods: methods, pattern: pattern, effect: .deny)
    }

    /// Removes a rule by id.
    public func removeRule(_ ruleID: String) throws {
        try change { transaction in
            guard let rule = try transaction.rules().first(where: { $0.id == ruleID }) else {
                throw DeviceRegistryError(.notFound, "no rule '\(ruleID)'")
            }
            try transaction.deleteRule(id: ruleID)
            try appendAudit(transaction, .ruleRemoved, deviceID: rule.deviceID, detail: "\(rule.effect.rawValue) \(rule.specification) (\(rule.id))")
        }
    }

    /// Rules for one device (its own, then those for all devices), or every rule when `deviceID` is nil.
    public func rules(forDevice deviceID: String? = nil) throws -> [AccessRule] {
        let rules = try store.read { transaction in
            if let deviceID { _ = try Self.existingDevice(deviceID, in: transaction) }
            return try transaction.rules()
        }
        guard let deviceID else { return rules }
        return rules.filter { $0.deviceID == deviceID } + rules.filter { $0.deviceID == nil }
    }
}
