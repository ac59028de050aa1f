extension SeccompProfile {
    /// Decides the profile for one process, the way Docker's `setupSeccomp` and runc's
    /// `SetupSeccomp`/`matchCall` do together:
    /// - no `defaultAction` and no syscalls: nil (no filter at all);
    /// - architectures: `architectures`, or the `archMap` entry of the native architecture
    ///   with its sub-architectures;
    /// - a syscall group is dropped when `excludes` matches (native arch listed, *any* listed
    ///   capability kept, kernel at least `minKernel`) or `includes` fails (native arch not
    ///   listed, *some* listed capability not kept, kernel older than `minKernel`);
    /// - each name becomes its own rule; conditions on distinct arguments are AND-ed in one
    ///   rule, but if two conditions test the same argument each becomes a rule of its own
    ///   (OR), as runc does;
    /// - rules whose action equals the default action are dropped (libseccomp refuses them),
    ///   and so are exact repeats (the default profile allows `ptrace` in two groups).
    ///
    /// Syscall names are not checked here: names unknown to libseccomp are skipped when the
    /// filter is built, as Docker does.
    /// - Parameter source: the profile's path, or `SeccompProfile.defaultSource`, for errors.
    public func resolve(for environment: SeccompEnvironment, source: String) throws(SeccompError) -> SeccompRuleSet? {
        do {
            return try resolve(environment)
        } catch {
            throw .invalidProfile(source: source, problem: error)
        }
    }

    private func resolve(_ environment: SeccompEnvironment) throws(SeccompError.ProfileProblem) -> SeccompRuleSet? {
        let groups = syscalls ?? []
        if defaultAction.isEmpty && groups.isEmpty { return nil }
        if defaultAction.isEmpty { throw .missingDefaultAction }
        guard let fallback = try SeccompAction.parse(defaultAction, errnoRet: defaultErrnoRet, syscalls: []) else {
            throw .unknownAction(defaultAction, syscalls: [])
        }

        var ruleSet = SeccompRuleSet(
            defaultAction: fallback, architectures: try resolveArchitectures(environment),
            flags: [.specAllow], flagsRequired: false, rules: [])
        if let flags {
            ruleSet.flags = []
            ruleSet.flagsRequired = true
            for name in flags {
                guard let flag = SeccompRuleSet.Flag(rawValue: name) else { throw .unsupportedFlag(name) }
                ruleSet.flags.insert(flag)
            }
        }

        var seen = Set<SeccompRule>()
        for group in groups {
            let names = try group.syscallNames()
            guard try group.applies(in: environment) else { continue }
            guard let action = try SeccompAction.parse(group.action, errnoRet: group.errnoRet, syscalls: names) else {
                throw .unknownAction(group.action, syscalls: names)
            }
            if action == fallback { continue }
            let alternatives = try group.conditionAlternatives(names)
            for name in names {
                for conditions in alternatives {
                    let rule = SeccompRule(syscall: name, action: action, conditions: conditions)
                    if seen.insert(rule).inserted { ruleSet.rules.append(rule) }
                }
            }
        }
        return ruleSet
    }

    private func resolveArchitectures(_ environment: SeccompEnvironment) throws(SeccompError.ProfileProblem) -> [String] {
        let listed = architectures ?? []
        let mapped = archMap ?? []
        if !listed.isEmpty && !mapped.isEmpty { throw .architecturesAndArchMap }
        let known = Set(SeccompEnvironment.scmpArchitectures.values)
        var result: [String] = []
        if !listed.isEmpty {
            result = listed
        } else if let native = environment.scmpArchitecture,
                  let entry = mapped.first(where: { $0.architecture == native }) {
            result = [entry.architecture] + (entry.subArchitectures ?? [])
        }
        for arch in result where !known.contains(arch) { throw .unknownArchitecture(arch) }
        return result
    }
}

extension SeccompProfile.Syscall {
    /// `names`, or the deprecated `name`.
    fileprivate func syscallNames() throws(SeccompError.ProfileProblem) -> [String] {
        let list: [String]
        switch (name, names) {
        case let (single?, many?) where !single.isEmpty && !many.isEmpty: throw .nameAndNames(single)
        case let (single?, _) where !single.isEmpty: list = [single]
        default: list = names ?? []
        }
        if list.contains(where: \.isEmpty) { throw .emptySyscallName }
        return list
    }

    /// Docker's rule: any `excludes` match drops the group; every `includes` must match.
    fileprivate func applies(in environment: SeccompEnvironment) throws(SeccompError.ProfileProblem) -> Bool {
        if let excludes {
            if let arches = excludes.arches, arches.contains(environment.architecture) { return false }
            if let caps = excludes.caps,
               caps.contains(where: { environment.capabilities.contains(SeccompEnvironment.normalize($0)) }) {
                return false
            }
            if let minimum = try Self.kernel(excludes.minKernel), environment.kernel >= minimum { return false }
        }
        if let includes {
            if let arches = includes.arches, !arches.isEmpty, !arches.contains(environment.architecture) { return false }
            if let caps = includes.caps,
               !caps.allSatisfy({ environment.capabilities.contains(SeccompEnvironment.normalize($0)) }) {
                return false
            }
            if let minimum = try Self.kernel(includes.minKernel), environment.kernel < minimum { return false }
        }
        return true
    }

    private static func kernel(_ text: String?) throws(SeccompError.ProfileProblem) -> SeccompEnvironment.KernelVersion? {
        guard let text, !text.isEmpty else { return nil }
        guard let version = SeccompEnvironment.KernelVersion(minKernel: text) else { throw .invalidKernelVersion(text) }
        return version
    }

    /// The condition lists to add as separate rules: one list (AND) when every argument is
    /// tested at most once, otherwise one single-condition list per condition (OR).
    fileprivate func conditionAlternatives(_ names: [String]) throws(SeccompError.ProfileProblem) -> [[SeccompCondition]] {
        var conditions: [SeccompCondition] = []
        for arg in args ?? [] {
            guard arg.index < 6 else { throw .argumentIndexOutOfRange(arg.index, syscalls: names) }
            guard let op = SeccompOperator(rawValue: arg.op) else { throw .unknownOperator(arg.op, syscalls: names) }
            conditions.append(SeccompCondition(index: UInt32(arg.index), op: op, value: arg.value, valueTwo: arg.valueTwo))
        }
        let indexes = conditions.map(\.index)
        if Set(indexes).count == indexes.count { return [conditions] }
        return conditions.map { [$0] }
    }
}
