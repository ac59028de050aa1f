import CSeccomp
import Glibc

extension SeccompFilter {
    /// A libseccomp filter built from a `SeccompRuleSet`, not yet loaded. Building allocates and
    /// may fail in many ways; `load()` is a single step, so the shim can build before it forks
    /// or gives up privileges and load at the last moment.
    ///
    /// Not thread-safe; meant to be owned by the one thread that will exec.
    public final class Prepared {
        /// The rules the filter was built from.
        public let ruleSet: SeccompRuleSet
        /// Syscall names the installed libseccomp does not know: skipped, as Docker does.
        public let skippedSyscalls: [String]
        private let context: scmp_filter_ctx

        /// Builds the filter. `source` names the profile in errors.
        public init(_ ruleSet: SeccompRuleSet, source: String) throws(SeccompError) {
            guard let context = seccomp_init(ruleSet.defaultAction.rawValue) else {
                throw .libseccomp(operation: "seccomp_init", subject: "default action \(ruleSet.defaultAction)", errno: EINVAL)
            }
            do {
                skippedSyscalls = try Self.configure(context, ruleSet, source: source)
            } catch {
                seccomp_release(context)
                throw error
            }
            self.ruleSet = ruleSet
            self.context = context
        }

        deinit { seccomp_release(context) }

        /// Loads the filter into the calling thread (the kernel makes it permanent and inherited
        /// across fork and execve). Needs no_new_privs or CAP_SYS_ADMIN (see `SeccompFilter`).
        public func load() throws(SeccompError) {
            let rc = seccomp_load(context)
            if rc < 0 { throw .loadFailed(errno: -rc) }
        }

        /// libseccomp's human-readable rendering of the filter (`seccomp_export_pfc`), for
        /// debugging and tests.
        public func pseudoFilterCode() throws(SeccompError) -> String {
            guard let file = tmpfile() else {
                throw .libseccomp(operation: "seccomp_export_pfc", subject: "a temporary file", errno: errno)
            }
            defer { fclose(file) }
            let rc = seccomp_export_pfc(context, fileno(file))
            if rc < 0 { throw .libseccomp(operation: "seccomp_export_pfc", subject: "the filter", errno: -rc) }
            rewind(file)
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
                if n == 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// Sets the attributes, adds architectures and rules; returns the skipped names.
        private static func configure(_ context: scmp_filter_ctx, _ ruleSet: SeccompRuleSet, source: String) throws(SeccompError) -> [String] {
            // Report the kernel's errno from seccomp_load (EACCES, …) rather than ECANCELED.
            _ = seccomp_attr_set(context, SCMP_FLTATR_API_SYSRAWRC, 1)
            // Never set no_new_privs behind the caller's back: setuid binaries must keep
            // working unless the container asked for no_new_privs (the shim sets it then).
            try attribute(context, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs off")
            for flag in ruleSet.flags {
                do {
                    switch flag {
                    case .tsync: try attribute(context, SCMP_FLTATR_CTL_TSYNC, 1, flag.rawValue)
                    case .log: try attribute(context, SCMP_FLTATR_CTL_LOG, 1, flag.rawValue)
                    case .specAllow: try attribute(context, SCMP_FLTATR_CTL_SSB, 1, flag.rawValue)
                    }
                } catch {
                    // runc's implicit SPEC_ALLOW applies only where supported.
                    if ruleSet.flagsRequired { throw .invalidProfile(source: source, problem: .unsupportedFlag(flag.rawValue)) }
                }
            }
            // Binary-tree dispatch for long rule lists, as runc (libseccomp 2.5 misbehaves with 0 rules).
            if ruleSet.rules.count > 32 { _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2) }

            for name in ruleSet.architectures {
                let token = seccomp_arch_resolve_name(libseccompArchitecture(name))
                guard token != 0 else { throw .invalidProfile(source: source, problem: .unknownArchitecture(name)) }
                let rc = seccomp_arch_add(context, token)
                if rc < 0 && rc != -EEXIST {
                    throw .libseccomp(operation: "seccomp_arch_add", subject: name, errno: -rc)
                }
            }

            var skipped: [String] = []
            for rule in ruleSet.rules {
                // Names valid on another architecture only (chown32 on x86_64) resolve to
                // libseccomp pseudo-numbers and land on the compat arches that have them.
                let number = seccomp_syscall_resolve_name(rule.syscall)
                if number == __NR_SCMP_ERROR {
                    if !skipped.contains(rule.syscall) { skipped.append(rule.syscall) }
                    continue
                }
                let comparisons = rule.conditions.map {
                    scmp_arg_cmp(arg: $0.index, op: scmp_compare(rawValue: $0.op.code), datum_a: $0.value, datum_b: $0.valueTwo)
                }
                let rc = comparisons.withUnsafeBufferPointer {
                    seccomp_rule_add_array(context, rule.action.rawValue, number, UInt32($0.count), $0.baseAddress)
                }
                if rc < 0 {
                    throw .libseccomp(operation: "seccomp_rule_add", subject: "\(rule.syscall) → \(rule.action)", errno: -rc)
                }
            }
            return skipped
        }

        private static func attribute(_ context: scmp_filter_ctx, _ attr: scmp_filter_attr, _ value: UInt32, _ what: String) throws(SeccompError) {
            let rc = seccomp_attr_set(context, attr, value)
            if rc < 0 { throw .libseccomp(operation: "seccomp_attr_set", subject: what, errno: -rc) }
        }

        /// `SCMP_ARCH_X86_64` → libseccomp's `x86_64`.
        static func libseccompArchitecture(_ name: String) -> String {
            let prefix = "SCMP_ARCH_"
            return name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)).lowercased() : name.lowercased()
        }
    }
}
