import Glibc

/// What a profile's conditional groups are decided against: the native architecture, the
/// running kernel and the capabilities the container process keeps.
public struct SeccompEnvironment: Hashable, Sendable {
    /// Docker's name for the native architecture (`amd64`, `arm64`, `ppc64le`, `s390x`, …), the
    /// naming `includes.arches`/`excludes.arches` use.
    public var architecture: String
    public var kernel: KernelVersion
    /// `CAP_*` names, upper case.
    public var capabilities: Set<String>

    /// `capabilities` may be `CAP_SYS_ADMIN`, `SYS_ADMIN` or `sys_admin`.
    public init(architecture: String, kernel: KernelVersion, capabilities: [String]) {
        self.architecture = architecture
        self.kernel = kernel
        self.capabilities = Set(capabilities.map(Self.normalize))
    }

    /// This machine: its architecture, `uname -r`, and the given capabilities.
    public static func current(capabilities: [String]) -> SeccompEnvironment {
        SeccompEnvironment(architecture: nativeArchitecture, kernel: .running, capabilities: capabilities)
    }

    /// Docker's name for the architecture this code was compiled for.
    public static var nativeArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #elseif arch(i386)
        return "x86"
        #elseif arch(arm)
        return "arm"
        #elseif arch(powerpc64le)
        return "ppc64le"
        #elseif arch(powerpc64)
        return "ppc64"
        #elseif arch(s390x)
        return "s390x"
        #elseif arch(riscv64)
        return "riscv64"
        #else
        return "unknown"
        #endif
    }

    /// Docker's architecture names and the `SCMP_ARCH_*` they stand for.
    static let scmpArchitectures: [String: String] = [
        "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "x32": "SCMP_ARCH_X32",
        "arm": "SCMP_ARCH_ARM", "arm64": "SCMP_ARCH_AARCH64",
        "mips": "SCMP_ARCH_MIPS", "mips64": "SCMP_ARCH_MIPS64", "mips64n32": "SCMP_ARCH_MIPS64N32",
        "mipsel": "SCMP_ARCH_MIPSEL", "mipsel64": "SCMP_ARCH_MIPSEL64", "mipsel64n32": "SCMP_ARCH_MIPSEL64N32",
        "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64", "ppc64le": "SCMP_ARCH_PPC64LE",
        "s390": "SCMP_ARCH_S390", "s390x": "SCMP_ARCH_S390X",
        "riscv64": "SCMP_ARCH_RISCV64", "loong64": "SCMP_ARCH_LOONGARCH64",
    ]

    /// The `SCMP_ARCH_*` of `architecture` (nil for an architecture Docker does not know).
    public var scmpArchitecture: String? { Self.scmpArchitectures[architecture] }

    static func normalize(_ capability: String) -> String {
        let upper = capability.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// A kernel version as Docker's `minKernel` compares it: `<kernel>.<major>`, with the
    /// minor revision and any suffix ignored (`6.18.3-amd64` is 6.18).
    public struct KernelVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
        public var kernel: UInt64
        public var major: UInt64

        public init(kernel: UInt64, major: UInt64) {
            self.kernel = kernel
            self.major = major
        }

        /// Parses a profile's `minKernel`: exactly two dot-separated numbers, not `0.0`.
        public init?(minKernel text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let kernel = UInt8(parts[0]), let major = UInt8(parts[1]),
                  kernel != 0 || major != 0 else { return nil }
            self.init(kernel: UInt64(kernel), major: UInt64(major))
        }

        /// Parses a `uname -r` release (`6.18.0-1-amd64`, `5.15.0-rc5`, `4.9`).
        public init?(release: String) {
            let numbers = release.split(whereSeparator: { !$0.isNumber && $0 != "." }).first ?? ""
            let parts = numbers.split(separator: ".")
            guard parts.count >= 2, let kernel = UInt64(parts[0]), let major = UInt64(parts[1]) else { return nil }
            self.init(kernel: kernel, major: major)
        }

        /// The running kernel (`0.0` if uname fails, so every `minKernel` rule is left out).
        public static var running: KernelVersion {
            var names = utsname()
            guard uname(&names) == 0 else { return KernelVersion(kernel: 0, major: 0) }
            let release = withUnsafeBytes(of: &names.release) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return KernelVersion(release: release) ?? KernelVersion(kernel: 0, major: 0)
        }

        public static func < (a: KernelVersion, b: KernelVersion) -> Bool {
            (a.kernel, a.major) < (b.kernel, b.major)
        }

        public var description: String { "\(kernel).\(major)" }
    }
}
