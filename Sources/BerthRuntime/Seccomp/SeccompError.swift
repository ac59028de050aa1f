import Glibc

/// Why a seccomp filter could not be built or installed. `description` is written for the
/// person who chose the profile: it names the file (or "Docker's default seccomp profile"),
/// the syscall group and the value that is wrong.
public enum SeccompError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The profile file could not be opened or read (`errno`).
    case unreadableProfile(path: String, errno: Int32)
    /// The profile file is larger than `SeccompProfile.maximumFileSize`.
    case profileTooLarge(path: String, size: Int)
    /// The file is not JSON in Docker's seccomp profile format; `reason` says where and why.
    case malformedProfile(path: String, reason: String)
    /// The profile is well-formed JSON but asks for something that cannot be applied.
    /// `source` is the profile's path, or `SeccompProfile.defaultSource`.
    case invalidProfile(source: String, problem: ProfileProblem)
    /// libseccomp refused to build the filter (`operation` is the libseccomp call, `subject`
    /// what it was given, `errno` the error it returned).
    case libseccomp(operation: String, subject: String, errno: Int32)
    /// The kernel refused the finished filter (`errno` from seccomp(2)).
    case loadFailed(errno: Int32)

    /// What is wrong inside a profile that decoded fine.
    public enum ProfileProblem: Error, Equatable, Sendable, CustomStringConvertible {
        /// `defaultAction` is empty while `syscalls` is not.
        case missingDefaultAction
        /// An `SCMP_ACT_*` name that does not exist; `syscalls` is empty for `defaultAction`.
        case unknownAction(String, syscalls: [String])
        /// An action Berth cannot honour (`SCMP_ACT_NOTIFY`: no seccomp agent).
        case unsupportedAction(String, syscalls: [String])
        /// An `SCMP_CMP_*` name that does not exist.
        case unknownOperator(String, syscalls: [String])
        /// An argument index outside 0...5.
        case argumentIndexOutOfRange(UInt64, syscalls: [String])
        /// An `errnoRet`/`defaultErrnoRet` that does not fit the 16 bits seccomp returns.
        case errnoOutOfRange(UInt64, syscalls: [String])
        /// An `SCMP_ARCH_*` name unknown to Docker or to the installed libseccomp.
        case unknownArchitecture(String)
        /// A `SECCOMP_FILTER_FLAG_*` that is unknown or unsupported by libseccomp here.
        case unsupportedFlag(String)
        /// Both `architectures` and `archMap` are present (Docker refuses this too).
        case architecturesAndArchMap
        /// A syscall group has both `name` and `names`.
        case nameAndNames(String)
        /// A syscall group has an empty name.
        case emptySyscallName
        /// A `minKernel` that is not `<kernel>.<major>`.
        case invalidKernelVersion(String)

        public var description: String {
            switch self {
            case .missingDefaultAction:
                return "\"defaultAction\" is missing but \"syscalls\" is not empty; set it to e.g. \"SCMP_ACT_ERRNO\""
            case let .unknownAction(action, syscalls):
                return "unknown action \"\(action)\"\(Self.place(syscalls)); use one of \(SeccompAction.knownNames.joined(separator: ", "))"
            case let .unsupportedAction(action, syscalls):
                return "action \"\(action)\"\(Self.place(syscalls)) is not supported by berth (it needs a seccomp agent)"
            case let .unknownOperator(op, syscalls):
                return "unknown operator \"\(op)\"\(Self.place(syscalls)); use one of \(SeccompOperator.allCases.map(\.rawValue).joined(separator: ", "))"
            case let .argumentIndexOutOfRange(index, syscalls):
                return "argument index \(index)\(Self.place(syscalls)) is out of range; syscalls have arguments 0 to 5"
            case let .errnoOutOfRange(value, syscalls):
                return "errno value \(value)\(Self.place(syscalls)) is out of range (0 to 65535)"
            case let .unknownArchitecture(arch):
                return "unknown architecture \"\(arch)\"; use SCMP_ARCH_* names such as SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32"
            case let .unsupportedFlag(flag):
                return "flag \"\(flag)\" is unknown or not supported by this libseccomp; supported: \(SeccompRuleSet.Flag.allCases.map(\.rawValue).joined(separator: ", "))"
            case .architecturesAndArchMap:
                return "both \"architectures\" and \"archMap\" are given; use one of them"
            case let .nameAndNames(name):
                return "syscall group \"\(name)\" has both \"name\" and \"names\"; use \"names\""
            case .emptySyscallName:
                return "a syscall group has an empty name"
            case let .invalidKernelVersion(version):
                return "invalid kernel version \"\(version)\"; expected \"<kernel>.<major>\", e.g. \"4.8\""
            }
        }

        private static func place(_ syscalls: [String]) -> String {
            if syscalls.isEmpty { return " in \"defaultAction\"" }
            let shown = syscalls.prefix(3).joined(separator: ", ")
            return " for syscalls [\(shown)\(syscalls.count > 3 ? ", …" : "")]"
        }
    }

    public var description: String {
        switch self {
        case let .unreadableProfile(path, code):
            return "cannot read seccomp profile \(path): \(Self.text(code))"
        case let .profileTooLarge(path, size):
            return "seccomp profile \(path) is \(size) bytes; profiles are limited to \(SeccompProfile.maximumFileSize) bytes"
        case let .malformedProfile(path, reason):
            return "seccomp profile \(path) is not a valid Docker seccomp profile: \(reason)"
        case let .invalidProfile(source, problem):
            return "seccomp profile \(source): \(problem)"
        case let .libseccomp(operation, subject, code):
            return "libseccomp \(operation) failed for \(subject): \(Self.text(code))"
        case let .loadFailed(code) where code == EACCES:
            return "the kernel refused the seccomp filter (\(Self.text(code))): the process has neither "
                + "no_new_privs set nor CAP_SYS_ADMIN; install the filter before dropping capabilities, "
                + "or set no_new_privs first"
        case let .loadFailed(code):
            return "the kernel refused the seccomp filter: \(Self.text(code))"
        }
    }

    static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: message)) (errno \(code))"
    }
}
