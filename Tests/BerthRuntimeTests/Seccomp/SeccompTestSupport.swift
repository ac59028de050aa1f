import BerthRuntime
import Foundation

/// Docker's default capability set (what `docker run` keeps without --cap-add/--cap-drop).
let seccompDockerDefaultCaps = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

extension SeccompEnvironment {
    /// An x86_64 host on kernel 6.18 with `capabilities`.
    static func amd64(_ capabilities: [String] = seccompDockerDefaultCaps, kernel: KernelVersion = .init(kernel: 6, major: 18)) -> SeccompEnvironment {
        SeccompEnvironment(architecture: "amd64", kernel: kernel, capabilities: capabilities)
    }
}

extension SeccompRuleSet {
    /// The rules Docker's default profile gives a process in `environment`.
    static func dockerDefault(_ environment: SeccompEnvironment) throws -> SeccompRuleSet {
        guard let ruleSet = try SeccompProfile.dockerDefault.resolve(for: environment, source: SeccompProfile.defaultSource) else {
            throw SeccompError.invalidProfile(source: "test", problem: .missingDefaultAction)
        }
        return ruleSet
    }

    /// The action the filter would take for `syscall` with no argument conditions, or the
    /// default action if no unconditional rule names it.
    func unconditionalAction(_ syscall: String) -> SeccompAction {
        rules(for: syscall).first(where: { $0.conditions.isEmpty })?.action ?? defaultAction
    }
}

/// A file under a fresh temporary directory, removed with it by `cleanup()`.
struct SeccompTestFile {
    let directory: URL
    let path: String

    init(_ contents: String, name: String = "profile.json") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-seccomp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

/// Resolves profile JSON text for an amd64 host with Docker's default capabilities.
func resolveSeccompProfile(_ json: String, _ environment: SeccompEnvironment = .amd64()) throws -> SeccompRuleSet? {
    try SeccompProfile.decode(Data(json.utf8), path: "test.json").resolve(for: environment, source: "test.json")
}
