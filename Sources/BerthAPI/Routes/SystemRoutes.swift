import BerthEngine
import Foundation
import Glibc
import NIOCore

/// `/_ping`, `/version`, `/info`, `/system/df`.
enum SystemRoutes {
    static func handle(_ c: RouteContext) async throws -> Bool {
        switch (c.method, c.path) {
        case ("GET", "/_ping"), ("HEAD", "/_ping"):
            var headers = [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-cache, no-store, must-revalidate"),
                           ("Pragma", "no-cache"), ("Builder-Version", "1"), ("Swarm", "inactive")]
            if c.method == "HEAD" { headers.append(("Content-Length", "0")) }
            try await c.w.respond(status: 200, headers: headers, body: c.method == "HEAD" ? ByteBuffer() : ByteBuffer(string: "OK"))
        case ("GET", "/version"):
            try await c.json(version())
        case ("GET", "/info"):
            try await c.json(await info(c.engine))
        case ("GET", "/system/df"):
            try await c.json(try await diskUsage(c))
        case ("GET", "/berth/system/check"):
            // Berth's own route (no Docker equivalent): `berth system check`.
            let check = try await c.engine.checkStore()
            try await c.json(["Blobs": check.blobs, "Images": check.images, "Snapshots": check.snapshots,
                              "Problems": check.problems.map { $0.description }] as [String: Any])
        default:
            return false
        }
        return true
    }

    static var kernelVersion: String {
        var u = utsname()
        uname(&u)
        return withUnsafePointer(to: &u.release) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    static func version() -> [String: Any] {
        let details: [String: Any] = ["ApiVersion": APIVersion.current, "MinAPIVersion": APIVersion.minimum, "Os": "linux",
                                      "Arch": "amd64", "KernelVersion": kernelVersion, "GitCommit": "", "Experimental": "false"]
        return [
            "Platform": ["Name": "Berth"],
            "Components": [["Name": "Engine", "Version": APIVersion.engineVersion, "Details": details]],
            "Version": APIVersion.engineVersion, "ApiVersion": APIVersion.current, "MinAPIVersion": APIVersion.minimum,
            "GitCommit": "", "GoVersion": "swift", "Os": "linux", "Arch": "amd64", "KernelVersion": kernelVersion,
            "BuildTime": "",
        ]
    }

    static func info(_ engine: Engine) async -> [String: Any] {
        let images = await engine.images.images().count
        let cgroupV2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        return [
            "ID": "berth", "Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": 0,
            "Images": images, "Driver": "overlay", "DriverStatus": [["Backing Filesystem", "extfs"]],
            "Plugins": ["Volume": ["local"], "Network": ["null", "host"], "Authorization": NSNull(), "Log": ["json-file"]],
            "MemoryLimit": true, "SwapLimit": true, "CpuCfsPeriod": true, "CpuCfsQuota": true, "CPUShares": true, "CPUSet": true,
            "PidsLimit": true, "IPv4Forwarding": true, "Debug": false, "NFd": 0, "NGoroutines": 0,
            "SystemTime": GoTime.format(Date()), "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs",
            "CgroupVersion": cgroupV2 ? "2" : "1", "NEventsListener": 0, "KernelVersion": kernelVersion,
            "OperatingSystem": osName(), "OSType": "linux", "Architecture": "x86_64",
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": ["InsecureRegistryCIDRs": engine.registry.insecure.cidrs, "Mirrors": [String](),
                               "IndexConfigs": Dictionary(uniqueKeysWithValues: engine.registry.insecure.names.map { ($0, ["Name": $0, "Secure": false, "Official": false, "Mirrors": [String]()] as [String: Any]) })],
            "NCPU": ProcessInfo.processInfo.activeProcessorCount, "MemTotal": ProcessInfo.processInfo.physicalMemory,
            "DockerRootDir": engine.dataRoot, "Name": String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), "Labels": [String](), "ExperimentalBuild": false,
            "ServerVersion": APIVersion.engineVersion, "Runtimes": ["berth-shim": ["path": "berth-shim"]], "DefaultRuntime": "berth-shim",
            "Swarm": ["NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": NSNull()],
            "LiveRestoreEnabled": true, "SecurityOptions": ["name=seccomp,profile=default"] + (engine.userNamespaceRemap == nil ? [] : ["name=userns"]), "Warnings": NSNull(),
        ]
    }

    static func osName() -> String {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return "Linux" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst(12)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }

    static func diskUsage(_ c: RouteContext) async throws -> [String: Any] {
        let du = try await c.engine.diskUsage()
        let images: [[String: Any]] = du.images.map { v in
            var s = ImageRoutes.summary(v, c)
            s["SharedSize"] = du.shared[v.record.id] ?? 0
            s["Containers"] = 0
            return s
        }
        let volumes: [[String: Any]] = await c.engine.volumeUsage().map { u in
            var v = VolumeRoutes.json(u.volume, c.engine)
            v["UsageData"] = ["Size": u.size, "RefCount": u.refCount]
            return v
        }
        return ["LayersSize": du.layersSize, "Images": images, "Containers": [Any](), "Volumes": volumes, "BuildCache": [Any]()]
    }
}
