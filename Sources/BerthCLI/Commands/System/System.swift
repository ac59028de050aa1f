import ArgumentParser
import BerthAPI
import Foundation

/// `berth system df`.
struct SystemDF: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "df", abstract: "Show berth disk usage")

    @Flag(name: .shortAndLong, help: "Show detailed information on space usage") var verbose = false
    @Option(help: "Format output using a Go template") var format: String?

    func run() throws {
        let r = try API.connect().json("GET", "/system/df") as? [String: Any] ?? [:]
        let images = r["Images"] as? [[String: Any]] ?? []
        let layers = (r["LayersSize"] as? NSNumber)?.int64Value ?? 0
        let active = images.filter { (($0["Containers"] as? NSNumber)?.intValue ?? 0) > 0 }
        let activeSize = active.reduce(Int64(0)) { $0 + ((($1["Size"] as? NSNumber)?.int64Value ?? 0) - (($1["SharedSize"] as? NSNumber)?.int64Value ?? 0)) }
        let reclaim = max(0, layers - activeSize)
        let pct = layers > 0 ? " (\(Int(Double(reclaim) * 100 / Double(layers)))%)" : ""
        let volumes = r["Volumes"] as? [[String: Any]] ?? []
        func usage(_ v: [String: Any], _ key: String) -> Int64 { ((v["UsageData"] as? [String: Any])?[key] as? NSNumber)?.int64Value ?? 0 }
        let volumeSize = volumes.reduce(Int64(0)) { $0 + usage($1, "Size") }
        let unusedVolumes = volumes.filter { usage($0, "RefCount") == 0 }
        let volumeReclaim = unusedVolumes.reduce(Int64(0)) { $0 + usage($1, "Size") }
        let volumePct = volumeSize > 0 ? " (\(Int(Double(volumeReclaim) * 100 / Double(volumeSize)))%)" : ""
        let rows: [[String: Any]] = [
            ["Type": "Images", "TotalCount": "\(images.count)", "Active": "\(active.count)", "Size": HumanUnits.size(layers), "Reclaimable": HumanUnits.size(reclaim) + pct],
            ["Type": "Containers", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"],
            ["Type": "Local Volumes", "TotalCount": "\(volumes.count)", "Active": "\(volumes.count - unusedVolumes.count)",
             "Size": HumanUnits.size(volumeSize), "Reclaimable": HumanUnits.size(volumeReclaim) + volumePct],
            ["Type": "Build Cache", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"],
        ]
        try Output.render(rows, format: format ?? "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
                          headers: ["Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE", "Reclaimable": "RECLAIMABLE"])
        if verbose {
            print("\nImages space usage:\n")
            let detail: [[String: Any]] = images.flatMap { img -> [[String: Any]] in
                let tags = (img["RepoTags"] as? [String]).flatMap { $0.isEmpty ? nil : $0 } ?? ["<none>:<none>"]
                let size = (img["Size"] as? NSNumber)?.int64Value ?? 0
                let shared = (img["SharedSize"] as? NSNumber)?.int64Value ?? 0
                return tags.map { t in
                    ["Name": t, "ID": Output.shortID(img["Id"] as? String ?? "", noTrunc: false),
                     "CreatedSince": Output.ago((img["Created"] as? NSNumber)?.doubleValue ?? 0),
                     "Size": HumanUnits.size(size), "SharedSize": HumanUnits.size(shared), "UniqueSize": HumanUnits.size(size - shared),
                     "Containers": "\((img["Containers"] as? NSNumber)?.intValue ?? 0)"]
                }
            }
            try Output.render(detail, format: "table {{.Name}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
                              headers: ["Name": "REPOSITORY:TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED", "Size": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"])
            print("\nLocal Volumes space usage:\n")
            let volumeRows: [[String: Any]] = volumes.map { v in
                ["Name": v["Name"] as? String ?? "", "Links": "\(usage(v, "RefCount"))", "Size": HumanUnits.size(usage(v, "Size"))]
            }
            try Output.render(volumeRows, format: "table {{.Name}}\t{{.Links}}\t{{.Size}}",
                              headers: ["Name": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"])
        }
    }
}

/// `berth version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Show the berth version information")

    func run() throws {
        print("Client: Berth\n Version:      \(APIVersion.engineVersion)\n API version:  \(APIVersion.current)\n")
        let v = try API.connect().json("GET", "/version") as? [String: Any] ?? [:]
        print("Server: Berth\n Engine:\n  Version:          \(v["Version"] ?? "")\n  API version:      \(v["ApiVersion"] ?? "") (minimum version \(v["MinAPIVersion"] ?? ""))\n  OS/Arch:          \(v["Os"] ?? "")/\(v["Arch"] ?? "")\n  Kernel Version:   \(v["KernelVersion"] ?? "")")
    }
}

/// `berth info`.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Display system-wide information")

    @Option(name: .shortAndLong, help: "Format output using a Go template") var format: String?

    func run() throws {
        let i = try API.connect().json("GET", "/info") as? [String: Any] ?? [:]
        if let format {
            try Output.render([i], format: format, headers: [:])
            return
        }
        let keys: [(String, String)] = [("Containers", "Containers"), ("Images", "Images"), ("ServerVersion", "Server Version"),
                                        ("Driver", "Storage Driver"), ("CgroupDriver", "Cgroup Driver"), ("CgroupVersion", "Cgroup Version"),
                                        ("KernelVersion", "Kernel Version"), ("OperatingSystem", "Operating System"),
                                        ("NCPU", "CPUs"), ("Name", "Name"), ("DockerRootDir", "Berth Root Dir")]
        print("Server:")
        for (k, label) in keys { print(" \(label): \(i[k] ?? "")") }
    }
}
