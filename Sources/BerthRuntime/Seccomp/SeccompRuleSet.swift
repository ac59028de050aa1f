/// What a seccomp action does with a matching syscall (libseccomp's `SCMP_ACT_*`).
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    case allow
    /// Fail the syscall with this errno.
    case errno(UInt16)
    case killThread
    case killProcess
    /// SIGSYS.
    case trap
    /// Notify a ptrace tracer with this message (ENOSYS without tracer).
    case trace(UInt16)
    /// Allow and log.
    case log

    /// The `SCMP_ACT_*` names Docker profiles may use.
    public static let knownNames = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]

    /// The action for a profile's `SCMP_ACT_*` name and `errnoRet` (EPERM when nil, as runc).
    /// Returns nil for unknown names; throws for `SCMP_ACT_NOTIFY` and out-of-range errnos.
    static func parse(_ name: String, errnoRet: UInt64?, syscalls: [String]) throws(SeccompError.ProfileProblem) -> SeccompAction? {
        func code() throws(SeccompError.ProfileProblem) -> UInt16 {
            guard let value = errnoRet else { return 1 }  // EPERM
            guard let small = UInt16(exactly: value) else { throw .errnoOutOfRange(value, syscalls: syscalls) }
            return small
        }
        switch name {
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_ERRNO": return .errno(try code())
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_TRACE": return .trace(try code())
        case "SCMP_ACT_LOG": return .log
        case "SCMP_ACT_NOTIFY": throw .unsupportedAction(name, syscalls: syscalls)
        default: return nil
        }
    }

    /// libseccomp's 32-bit encoding (the `SCMP_ACT_*` macros of seccomp.h).
    public var rawValue: UInt32 {
        switch self {
        case .allow: return 0x7fff_0000
        case let .errno(code): return 0x0005_0000 | UInt32(code)
        case .killThread: return 0x0000_0000
        case .killProcess: return 0x8000_0000
        case .trap: return 0x0003_0000
        case let .trace(message): return 0x7ff0_0000 | UInt32(message)
        case .log: return 0x7ffc_0000
        }
    }

    public var description: String {
        switch self {
        case .allow: return "SCMP_ACT_ALLOW"
        case let .errno(code): return "SCMP_ACT_ERRNO(\(code))"
        case .killThread: return "SCMP_ACT_KILL_THREAD"
        case .killProcess: return "SCMP_ACT_KILL_PROCESS"
        case .trap: return "SCMP_ACT_TRAP"
        case let .trace(message): return "SCMP_ACT_TRACE(\(message))"
        case .log: return "SCMP_ACT_LOG"
        }
    }
}

/// libseccomp's argument comparisons (`SCMP_CMP_*`), raw values as in seccomp.h.
public enum SeccompOperator: String, CaseIterable, Sendable {
    case notEqual = "SCMP_CMP_NE"
    case less = "SCMP_CMP_LT"
    case lessOrEqual = "SCMP_CMP_LE"
    case equal = "SCMP_CMP_EQ"
    case greaterOrEqual = "SCMP_CMP_GE"
    case greater = "SCMP_CMP_GT"
    /// `(arg & value) == valueTwo`.
    case maskedEqual = "SCMP_CMP_MASKED_EQ"

    /// `enum scmp_compare`.
    public var code: UInt32 {
        switch self {
        case .notEqual: return 1
        case .less: return 2
        case .lessOrEqual: return 3
        case .equal: return 4
        case .greaterOrEqual: return 5
        case .greater: return 6
        case .maskedEqual: return 7
        }
    }
}

/// One condition of a rule: `arg[index] op value` (`valueTwo` only for `maskedEqual`).
public struct SeccompCondition: Hashable, Sendable {
    public var index: UInt32
    public var op: SeccompOperator
    public var value: UInt64
    public var valueTwo: UInt64

    public init(index: UInt32, op: SeccompOperator, value: UInt64, valueTwo: UInt64 = 0) {
        self.index = index
        self.op = op
        self.value = value
        self.valueTwo = valueTwo
    }
}

/// One libseccomp rule: this syscall, when all conditions hold, gets this action.
public struct SeccompRule: Hashable, Sendable {
    public var syscall: String
    public var action: SeccompAction
    public var conditions: [SeccompCondition]

    public init(syscall: String, action: SeccompAction, conditions: [SeccompCondition] = []) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
    }
}

/// A profile resolved for one process: conditional groups decided, names expanded one rule
/// per syscall, strings parsed. This is exactly what gets handed to libseccomp, and it is
/// computed without touching the kernel, so it can be inspected and tested.
public struct SeccompRuleSet: Hashable, Sendable {
    public var defaultAction: SeccompAction
    /// `SCMP_ARCH_*` to add besides the native architecture (e.g. `SCMP_ARCH_X86`, `SCMP_ARCH_X32`).
    public var architectures: [String]
    public var flags: Set<Flag>
    /// False when the profile named no flags and `flags` is runc's default (`specAllow`),
    /// which is then applied only where libseccomp and the kernel support it.
    public var flagsRequired: Bool
    public var rules: [SeccompRule]

    /// `SECCOMP_FILTER_FLAG_*` Berth can apply.
    public enum Flag: String, CaseIterable, Hashable, Sendable {
        /// Synchronize all threads (Berth's callers are single-threaded; accepted, as runc does).
        case tsync = "SECCOMP_FILTER_FLAG_TSYNC"
        /// Log every action but allow (SCMP_FLTATR_CTL_LOG).
        case log = "SECCOMP_FILTER_FLAG_LOG"
        /// Leave speculative store bypass mitigation off (SCMP_FLTATR_CTL_SSB).
        case specAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
    }

    public init(
        defaultAction: SeccompAction, architectures: [String] = [], flags: Set<Flag> = [],
        flagsRequired: Bool = true, rules: [SeccompRule]
    ) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.flags = flags
        self.flagsRequired = flagsRequired
        self.rules = rules
    }

    /// The rules for one syscall, in order.
    public func rules(for syscall: String) -> [SeccompRule] {
        rules.filter { $0.syscall == syscall }
    }
}
