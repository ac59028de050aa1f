import BerthOCI
import Foundation

/// Docker's container `Config` (the create body's top level), the fields berthd honours.
public struct DockerConfig: Codable, Sendable, Equatable {
    public var Hostname: String?
    public var Domainname: String?
    public var User: String?
    public var AttachStdin: Bool?
    public var AttachStdout: Bool?
    public var AttachStderr: Bool?
    public var ExposedPorts: [String: ContainerConfig.Empty]?
    public var Tty: Bool?
    public var OpenStdin: Bool?
    public var StdinOnce: Bool?
    public var Env: [String]?
    public var Cmd: [String]?
    public var Healthcheck: ContainerConfig.Healthcheck?
    public var Image: String?
    public var Volumes: [String: ContainerConfig.Empty]?
    public var WorkingDir: String?
    public var Entrypoint: [String]?
    public var Labels: [String: String]?
    public var StopSignal: String?
    public var StopTimeout: Int?
    /// API before 1.44 (the docker CLI 20.10): `--mac-address` of the first network.
    public var MacAddress: String?

    public init() {}

    /// Keys of the create body's top level that berthd reads (the rest must be unset).
    static let honoured: Set<String> = [
        "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "ExposedPorts", "Tty",
        "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "Image", "Volumes", "WorkingDir", "Entrypoint", "Labels",
        "StopSignal", "StopTimeout", "HostConfig", "NetworkingConfig", "MacAddress",
        // ArgsEscaped only matters on Windows.
        "ArgsEscaped",
    ]
}

/// Docker's `HostConfig`, the fields berthd honours.
public struct DockerHostConfig: Codable, Sendable, Equatable {
    public var Binds: [String]?
    public var NetworkMode: String?
    public var RestartPolicy: RestartPolicy?
    public var AutoRemove: Bool?
    public var CapAdd: [String]?
    public var CapDrop: [String]?
    public var Dns: [String]?
    /// `--link name:alias` (Docker's legacy links).
    public var Links: [String]?
    public var DnsOptions: [String]?
    public var DnsSearch: [String]?
    public var ExtraHosts: [String]?
    public var GroupAdd: [String]?
    public var Privileged: Bool?
    public var ReadonlyRootfs: Bool?
    public var SecurityOpt: [String]?
    public var Tmpfs: [String: String]?
    public var ConsoleSize: [UInt16]?
    public var LogConfig: LogConfig?
    public var Init: Bool?
    public var Memory: Int64?
    public var MemorySwap: Int64?
    public var NanoCpus: Int64?
    public var CpuShares: Int64?
    public var CpuPeriod: Int64?
    public var CpuQuota: Int64?
    public var CpusetCpus: String?
    public var PidsLimit: Int64?
    public var Ulimits: [Ulimit]?
    public var Mounts: [MountSpec]?
    /// `--volumes-from C[:ro|:rw]`.
    public var VolumesFrom: [String]?
    /// Default driver of the volumes `Binds` create; only `local` exists.
    public var VolumeDriver: String?
    /// `host` opts out of the daemon's `--userns-remap`.
    public var UsernsMode: String?
    /// `-p`: `"80/tcp": [{"HostIp": "", "HostPort": "8080"}]`.
    public var PortBindings: [String: [PortBinding]?]?
    /// `-P`: every exposed port on a free host port.
    public var PublishAllPorts: Bool?

    public init() {}

    public struct RestartPolicy: Codable, Sendable, Equatable {
        public var Name: String?
        public var MaximumRetryCount: Int?
    }

    public struct LogConfig: Codable, Sendable, Equatable {
        public var `Type`: String?
        public var Config: [String: String]?
    }

    /// One host side of a published port; an empty HostIp means every address.
    public struct PortBinding: Codable, Sendable, Equatable {
        public var HostIp: String?
        public var HostPort: String?
        public init(HostIp: String? = nil, HostPort: String? = nil) {
            self.HostIp = HostIp
            self.HostPort = HostPort
        }
    }

    public struct Ulimit: Codable, Sendable, Equatable {
        public var Name: String
        public var Soft: Int64
        public var Hard: Int64
    }

    public struct MountSpec: Codable, Sendable, Equatable {
        public var `Type`: String?
        public var Source: String?
        public var Target: String?
        public var ReadOnly: Bool?
        public var TmpfsOptions: TmpfsOptions?
        public var VolumeOptions: VolumeOptions?
        public struct TmpfsOptions: Codable, Sendable, Equatable {
            public var SizeBytes: Int64?
            public var Mode: Int?
        }
        public struct VolumeOptions: Codable, Sendable, Equatable {
            public var NoCopy: Bool?
            public var Labels: [String: String]?
            public var DriverConfig: DriverConfig?
            public var Subpath: String?
        }
        public struct DriverConfig: Codable, Sendable, Equatable {
            public var Name: String?
            public var Options: [String: String]?
        }
    }

    static let honoured: Set<String> = [
        "Binds", "NetworkMode", "RestartPolicy", "AutoRemove", "CapAdd", "CapDrop", "Dns", "DnsOptions", "DnsSearch",
        "ExtraHosts", "GroupAdd", "Privileged", "ReadonlyRootfs", "SecurityOpt", "Tmpfs", "ConsoleSize", "LogConfig", "Init",
        "Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "PidsLimit", "Ulimits", "Mounts",
        "VolumesFrom", "VolumeDriver", "UsernsMode", "PortBindings", "PublishAllPorts",
        "Links",
    ]
}

/// Refusal of what berthd cannot do yet: a field set to anything but its zero value
/// (null, false, 0, "", [], {}) that berthd does not honour gets a 400 naming it.
enum UnsupportedFields {
    static func check(_ body: [String: Any]) throws(EngineError) {
        for (k, v) in body where !isZero(v) && !DockerConfig.honoured.contains(k) {
            throw EngineError(.invalid, "berthd does not support \(k) yet (set to \(describe(v))); remove that option")
        }
        if let host = body["HostConfig"] as? [String: Any] {
            for (k, v) in host where !isZero(v) && !isUnsetMarker(k, v) {
                if !DockerHostConfig.honoured.contains(k) {
                    throw EngineError(.invalid, "berthd does not support HostConfig.\(k) yet (set to \(describe(v))); remove that option")
                }
            }
        }
    }

    /// Values clients send to mean "not set" that are not zero (the docker CLI's MemorySwappiness -1).
    static func isUnsetMarker(_ key: String, _ v: Any) -> Bool {
        key == "MemorySwappiness" && (v as? NSNumber)?.intValue == -1
    }

    static func isZero(_ v: Any) -> Bool {
        switch v {
        case is NSNull: return true
        case let n as NSNumber: return n == 0 || n == false
        case let s as String: return s.isEmpty
        case let a as [Any]: return a.isEmpty
        case let d as [String: Any]: return d.isEmpty || d.values.allSatisfy(isZero)
        default: return false
        }
    }

    static func describe(_ v: Any) -> String {
        guard JSONSerialization.isValidJSONObject([v]),
              let data = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) else { return "\(v)" }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
