import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose up -d`: the project's networks and volumes, then one container per service,
/// created and started in dependency order; a container whose service changed is recreated.
struct ComposeUp: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Create and start containers")

    @OptionGroup var project: ComposeProjectFlags
    @Flag(name: .shortAndLong, help: "Detached mode: run containers in the background") var detach = false
    @Flag(help: "Recreate containers even if their configuration hasn't changed") var forceRecreate = false
    @Flag(help: "Don't recreate containers that exist") var noRecreate = false
    @Flag(help: "Don't start the services' dependencies") var noDeps = false
    @Flag(help: "Wait for services to be running|healthy (not implemented yet)") var wait = false
    @Option(help: "Maximum duration in seconds to wait for the project to be running|healthy, with --wait (not implemented yet)") var waitTimeout: Int?
    @Argument(help: "Services to start (default: all, with their dependencies)") var services: [String] = []

    func run() throws {
        guard detach else {
            throw CLIError("berth compose up without -d is not implemented yet (it would attach to the logs): use `berth compose up -d`, then `berth logs -f CONTAINER`")
        }
        if wait || waitTimeout != nil {
            throw CLIError("--wait and --wait-timeout are not implemented yet by berth compose up: run `berth compose up -d`, then watch `berth compose ps`")
        }
        if forceRecreate && noRecreate { throw CLIError("--force-recreate and --no-recreate are incompatible") }
        let p = try project.load()
        for warning in p.warnings { FileHandle.standardError.write(Data("WARN: \(warning)\n".utf8)) }
        var order: [String]
        do { order = try p.startOrder() } catch let e as ComposeError { throw CLIError(e.description) }
        if !services.isEmpty {
            for s in services where p.services[s] == nil { throw CLIError("no such service: \(s)") }
            var wanted = Set(services)
            if !noDeps {
                // Dependencies come first in `order`: walking it backwards closes the set.
                for name in order.reversed() where wanted.contains(name) { wanted.formUnion((p.services[name]?.dependsOn ?? [:]).keys) }
            }
            order = order.filter(wanted.contains)
        }
        let engine = ComposeEngine(api: try API.connect(), project: p.name)
        do {
            try p.checkBuiltImages(order) { image in
                try engine.find("/images/\(image)/json") != nil
            }
        } catch let e as ComposeError { throw CLIError(e.description) }
        let needed = Set(order)
        var selected = p
        selected.services = p.services.filter { needed.contains($0.key) }
        for key in selected.usedNetworks { try ensureNetwork(key, p, engine) }
        for key in selected.usedVolumes { try ensureVolume(key, p, engine) }

        var existing: [String: [String: Any]] = [:]
        for c in try engine.containers() {
            let labels = ComposeEngine.labels(c)
            if labels[ComposeLabel.oneoff] != "True", let s = labels[ComposeLabel.service] { existing[s] = c }
        }
        var ids: [String: String] = [:]
        for name in order {
            try waitForDependencies(of: name, p, ids: ids, engine)
            ids[name] = try up(name, p, existing: existing[name], engine)
        }
    }

    func ensureNetwork(_ key: String, _ p: ComposeProject, _ engine: ComposeEngine) throws {
        let n = p.networks[key]!
        let name = n.name ?? "\(p.name)_\(key)"
        if try engine.find("/networks/\(name)") != nil { return }
        if n.external == true {
            throw CLIError("network \(name) declared as external, but could not be found: create it with `berth network create \(name)`")
        }
        _ = try engine.post("/networks/create", p.networkCreateBody(key))
        ComposeEngine.progress("Network", name, "Created")
    }

    func ensureVolume(_ key: String, _ p: ComposeProject, _ engine: ComposeEngine) throws {
        let v = p.volumes[key]!
        let name = v.name ?? "\(p.name)_\(key)"
        if try engine.find("/volumes/\(name)") != nil { return }
        if v.external == true {
            throw CLIError("external volume \"\(name)\" not found: create it with `berth volume create \(name)`")
        }
        _ = try engine.post("/volumes/create", p.volumeCreateBody(key))
        ComposeEngine.progress("Volume", "\"\(name)\"", "Created")
    }

    /// depends_on conditions: started (already true in order), healthy, completed successfully.
    func waitForDependencies(of name: String, _ p: ComposeProject, ids: [String: String], _ engine: ComposeEngine) throws {
        for (dependency, d) in (p.services[name]?.dependsOn ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let id = ids[dependency] else { continue }
            let container = p.containerName(dependency)
            switch d.condition {
            case "service_healthy":
                ComposeEngine.progress("Container", container, "Waiting")
                while true {
                    let state = (try engine.find("/containers/\(id)/json"))?["State"] as? [String: Any] ?? [:]
                    let health = (state["Health"] as? [String: Any])?["Status"] as? String
                    if health == nil { throw CLIError("container \(container) has no healthcheck configured: service \(name) cannot wait for it to be healthy") }
                    if health == "healthy" { break }
                    if health == "unhealthy" { throw CLIError("dependency failed to start: container \(container) is unhealthy") }
                    if state["Running"] as? Bool != true { throw CLIError("dependency failed to start: container \(container) exited") }
                    usleep(200_000)
                }
                ComposeEngine.progress("Container", container, "Healthy")
            case "service_completed_successfully":
                ComposeEngine.progress("Container", container, "Waiting")
                let answer = try engine.post("/containers/\(id)/wait", [:])
                let code = (answer["StatusCode"] as? NSNumber)?.intValue ?? -1
                guard code == 0 else { throw CLIError("service \(dependency.debugDescription) didn't complete successfully: exit \(code)") }
                ComposeEngine.progress("Container", container, "Exited")
            default:
                break
            }
        }
    }

    /// The service's container, created (or recreated) and started; its id.
    func up(_ service: String, _ p: ComposeProject, existing: [String: Any]?, _ engine: ComposeEngine) throws -> String {
        let body: [String: Any]
        do { body = try p.containerCreateBody(service) } catch let e as ComposeError { throw CLIError(e.description) }
        let name = p.containerName(service)
        let hash = (body["Labels"] as? [String: String])?[ComposeLabel.configHash]
        if let c = existing, let id = c["Id"] as? String {
            let same = ComposeEngine.labels(c)[ComposeLabel.configHash] == hash
            if noRecreate || (same && !forceRecreate) {
                if c["State"] as? String == "running" {
                    ComposeEngine.progress("Container", name, "Running")
                } else {
                    _ = try engine.api.call("POST", "/containers/\(id)/start")
                    ComposeEngine.progress("Container", name, "Started")
                }
                return id
            }
            ComposeEngine.progress("Container", name, "Recreate")
            try engine.stop(id)
            _ = try engine.api.call("DELETE", "/containers/\(id)", query: [("force", "1")])
        }
        let created: [String: Any]
        do {
            created = try engine.post("/containers/create", query: [("name", name)], body)
        } catch let e as CLIError where e.message.contains("No such image") && p.services[service]?.build == nil {
            ComposeEngine.progress("Image", p.services[service]?.image ?? "", "Pulling")
            try ContainerLifecycle.pullForRun(p.services[service]?.image ?? "")
            created = try engine.post("/containers/create", query: [("name", name)], body)
        }
        guard let id = created["Id"] as? String else { throw CLIError("the daemon did not return a container id for \(name)") }
        ComposeEngine.progress("Container", name, "Created")
        _ = try engine.api.call("POST", "/containers/\(id)/start")
        ComposeEngine.progress("Container", name, "Started")
        return id
    }
}
