import ArgumentParser
import BerthCompose
import Foundation

/// `berth compose …`: config, up -d, down, ps; docker compose's other commands are refused by name.
struct ComposeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compose", abstract: "Define and run multi-container applications (so far: config, up -d, down, ps)",
        subcommands: [ComposeConfig.self, ComposeUp.self, ComposeDown.self, ComposePs.self])

    /// docker compose's commands that berth does not implement yet.
    static let planned: Set<String> = [
        "attach", "build", "commit", "cp", "create", "events", "exec", "export", "images", "kill", "logs", "ls", "pause", "port",
        "publish", "pull", "push", "restart", "rm", "run", "scale", "start", "stats", "stop", "top", "unpause", "version",
        "volumes", "wait", "watch", "alpha", "bridge",
    ]
    /// Global options taking a value, as docker compose spells them.
    static let valueOptions: Set<String> = ["-f", "--file", "-p", "--project-name", "--env-file", "--project-directory", "--profile",
                                            "--ansi", "--parallel", "--progress"]

    /// Rewrites `compose [global options] CMD [args]` to `compose CMD [global options] [args]` (the
    /// parser takes options after the subcommand), and refuses commands berth does not have yet.
    static func normalise(_ args: [String]) throws -> [String] {
        guard args.first == "compose" else { return args }
        var globals: [String] = []
        var i = 1
        while i < args.count, args[i].hasPrefix("-"), args[i] != "--help", args[i] != "-h" {
            globals.append(args[i])
            if valueOptions.contains(args[i]), i + 1 < args.count { globals.append(args[i + 1]); i += 1 }
            i += 1
        }
        guard i < args.count else { return args }
        let command = args[i]
        if planned.contains(command) {
            throw CLIError("berth compose \(command) is not implemented yet: berth compose has config, up -d, down and ps so far")
        }
        return ["compose", command] + globals + args[(i + 1)...]
    }
}

/// docker compose's global flags, given before or after the subcommand.
struct ComposeProjectFlags: ParsableArguments {
    @Option(name: [.short, .customLong("file")], help: "Compose configuration files") var file: [String] = []
    @Option(name: [.short, .customLong("project-name")], help: "Project name") var projectName: String?
    @Option(name: .customLong("project-directory"), help: "Alternate working directory (default: the first file's directory)") var projectDirectory: String?
    @Option(name: .customLong("env-file"), help: "Alternate environment files") var envFile: [String] = []
    @Option(name: .customLong("profile"), help: "Profiles to enable") var profile: [String] = []

    func load() throws -> ComposeProject {
        var options = ProjectOptions(environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        options.files = file
        options.projectName = projectName
        options.projectDirectory = projectDirectory
        options.envFiles = envFile
        options.profiles = profile
        options.standardInput = { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        do {
            return try ProjectLoader.load(options)
        } catch let e as ComposeError {
            throw CLIError(e.description)
        }
    }
}

/// `berth compose config`: the project merged, interpolated and normalised, as docker compose prints it.
struct ComposeConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Parse, resolve and render the compose file in canonical format", aliases: ["convert"])

    @OptionGroup var project: ComposeProjectFlags
    @Flag(name: .shortAndLong, help: "Only validate the configuration, don't print anything") var quiet = false
    @Flag(help: "Print the service names, one per line") var services = false
    @Flag(help: "Print the volume names, one per line") var volumes = false
    @Flag(help: "Print the network names, one per line") var networks = false
    @Option(help: "Format the output (yaml)") var format = "yaml"

    func run() throws {
        guard format == "yaml" else { throw CLIError("berth compose config --format \(format) is not supported: only yaml so far") }
        let p = try project.load()
        for warning in p.warnings { FileHandle.standardError.write(Data("WARN: \(warning)\n".utf8)) }
        if quiet { return }
        if services || volumes || networks {
            if services { p.services.keys.sorted().forEach { print($0) } }
            if volumes { p.volumes.keys.sorted().forEach { print($0) } }
            if networks { p.networks.keys.sorted().forEach { print($0) } }
            return
        }
        print(p.configYAML(), terminator: "")
    }
}
