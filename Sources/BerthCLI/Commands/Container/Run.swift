import ArgumentParser
import BerthAPI
import BerthOCI
import Foundation
import Glibc

/// `berth run`: create, attach, start, and wait — docker's flow over the same API.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a new container from an image")

    @OptionGroup var options: ContainerOptions
    @Flag(name: .shortAndLong, help: "Run container in background and print container ID") var detach = false
    @Flag(help: "Automatically remove the container when it exits") var rm = false
    @Option(help: "Pull image before running (always, missing, never)") var pull = "missing"
    @Option(help: "Override the key sequence for detaching a container") var detachKeys: String?
    @Option(help: "Proxy received signals to the process (without -t); --sig-proxy=false to turn off") var sigProxy = true
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]") var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else { throw CLIError("\"berth run\" requires at least 1 argument: berth run [OPTIONS] IMAGE [COMMAND] [ARG...]", exitCode: 125) }
        _ = try AttachStream.keys(detachKeys, exitCode: 125)
        let socket = try DaemonConnection.socketPath()
        let id = try ContainerLifecycle.create(socket: socket, options: options, image: image, command: Array(imageAndCommand.dropFirst()), attach: !detach, autoRemove: rm, pull: pull)
        if detach {
            try ContainerLifecycle.start(socket: socket, id: id)
            print(id)
            return
        }
        let code = try ContainerLifecycle.attachStartWait(socket: socket, id: id, stdin: options.interactive, tty: options.tty,
                                                          condition: rm ? "removed" : "next-exit", detachKeys: detachKeys, sigProxy: sigProxy)
        // Detached with the keys: the container runs on.
        Glibc.exit(code ?? 0)
    }
}

/// `berth create`.
struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container")

    @OptionGroup var options: ContainerOptions
    @Flag(help: "Automatically remove the container when it exits") var rm = false
    @Option(help: "Pull image before creating (always, missing, never)") var pull = "missing"
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND] [ARG...]") var imageAndCommand: [String] = []

    func run() throws {
        guard let image = imageAndCommand.first else { throw CLIError("\"berth create\" requires at least 1 argument", exitCode: 125) }
        let socket = try DaemonConnection.socketPath()
        print(try ContainerLifecycle.create(socket: socket, options: options, image: image, command: Array(imageAndCommand.dropFirst()), attach: false, autoRemove: rm, pull: pull))
    }
}

/// `berth start`.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers")

    @Flag(name: .shortAndLong, help: "Attach STDOUT/STDERR and forward signals") var attach = false
    @Flag(name: .shortAndLong, help: "Attach container's STDIN") var interactive = false
    @Option(help: "Override the key sequence for detaching a container") var detachKeys: String?
    @Argument(help: "Containers") var containers: [String]

    func run() throws {
        _ = try AttachStream.keys(detachKeys)
        let socket = try DaemonConnection.socketPath()
        if attach || interactive {
            guard containers.count == 1 else { throw CLIError("you cannot start and attach multiple containers at once") }
            let info = try API(client: try UnixHTTPClient(socketPath: socket)).json("GET", "/containers/\(containers[0])/json") as? [String: Any] ?? [:]
            let tty = (info["Config"] as? [String: Any])?["Tty"] as? Bool ?? false
            let code = try ContainerLifecycle.attachStartWait(socket: socket, id: info["Id"] as? String ?? containers[0], stdin: interactive,
                                                              tty: tty, condition: "next-exit", detachKeys: detachKeys, sigProxy: true)
            Glibc.exit(code ?? 0)
        }
        var failed: [String] = []
        for c in containers {
            do {
                try ContainerLifecycle.start(socket: socket, id: c)
                print(c)
            } catch let e as CLIError { failed.append(e.message) }
        }
        if !failed.isEmpty { throw CLIError(failed.joined(separator: "\n")) }
    }
}

/// The steps `run`, `create` and `start -a` share.
enum ContainerLifecycle {
    static func create(socket: String, options: ContainerOptions, image: String, command: [String], attach: Bool, autoRemove: Bool, pull: String = "missing") throws -> String {
        let api = API(client: try UnixHTTPClient(socketPath: socket))
        if autoRemove && !RestartPolicyFlag.isNone(options.restart) {
            throw CLIError("berth: Conflicting options: --restart and --rm", exitCode: 125)
        }
        guard ["always", "missing", "never"].contains(pull) else {
            throw CLIError("berth: invalid pull option: '\(pull)': must be one of \"always\", \"missing\" or \"never\"", exitCode: 125)
        }
        if pull == "always" { try pullForRun(image) }
        let body = try options.body(image: image, command: command, attach: attach, autoRemove: autoRemove)
        var query: [(String, String)] = []
        if let name = options.name { query.append(("name", name)) }
        let data = try JSONSerialization.data(withJSONObject: body)
        let resp: HTTPResponse
        do {
            resp = try api.call("POST", "/containers/create", query: query, headers: [("Content-Type", "application/json")], body: .data(data))
        } catch let e as CLIError {
            guard e.message.contains("No such image"), pull == "missing" else { throw CLIError("berth: \(e.message)", exitCode: 125) }
            // Like docker: say so, pull (progress on stderr), and create again.
            let ref = (try? Reference(parsing: image))?.defaultingTag
            FileHandle.standardError.write(Data("Unable to find image '\(ref?.familiar ?? image)' locally\n".utf8))
            try pullForRun(image)
            do {
                resp = try api.call("POST", "/containers/create", query: query, headers: [("Content-Type", "application/json")], body: .data(data))
            } catch let e as CLIError { throw CLIError("berth: \(e.message)", exitCode: 125) }
        }
        let obj = try JSONSerialization.jsonObject(with: try resp.readAll()) as? [String: Any] ?? [:]
        for w in obj["Warnings"] as? [String] ?? [] { FileHandle.standardError.write(Data("WARNING: \(w)\n".utf8)) }
        guard let id = obj["Id"] as? String else { throw CLIError("berth: the daemon did not return a container id", exitCode: 125) }
        return id
    }

    /// The pull `run --pull` does, its progress on stderr as docker shows it.
    static func pullForRun(_ image: String) throws {
        do {
            let ref = try Reference(parsing: image).defaultingTag
            try Pull.pull(ref, platform: nil, quiet: false, to: ProgressDisplay(fd: 2))
        } catch let e as CLIError {
            throw CLIError("berth: \(e.message)", exitCode: 125)
        } catch let e as OCIError {
            throw CLIError("berth: \(e.message)", exitCode: 125)
        }
    }

    static func start(socket: String, id: String) throws {
        do {
            _ = try API(client: try UnixHTTPClient(socketPath: socket)).call("POST", "/containers/\(id)/start")
        } catch let e as CLIError {
            throw CLIError("berth: \(e.message)", exitCode: exitCode(forStartError: e.message))
        }
    }

    /// Docker's exit codes for a process that could not start.
    static func exitCode(forStartError m: String) -> Int32 {
        if m.contains("executable file not found") || m.contains("no such file or directory") { return 127 }
        if m.contains("permission denied") { return 126 }
        return 125
    }

    /// Attach, wait (headers first), start, stream, and return the exit code; nil when the
    /// user detached with the detach keys.
    static func attachStartWait(socket: String, id: String, stdin: Bool, tty: Bool, condition: String,
                                detachKeys: String? = nil, sigProxy: Bool = false) throws -> Int32? {
        let stream = try AttachStream(socketPath: socket, id: id, stdin: stdin, tty: tty, detachKeys: detachKeys)
        let waitClient = try UnixHTTPClient(socketPath: socket)
        let wait = try waitClient.send(method: "POST", path: "/v\(APIVersion.current)/containers/\(id)/wait", query: [("condition", condition)])
        try start(socket: socket, id: id)
        stream.pump(stdin: stdin, socket: socket, resizePath: "/containers/\(id)/resize", proxySignalsTo: sigProxy && !tty ? id : nil)
        if stream.detached { return nil }
        let data = try wait.readAll()
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        if let err = (obj["Error"] as? [String: Any])?["Message"] as? String, !err.isEmpty {
            FileHandle.standardError.write(Data("berth: \(err)\n".utf8))
        }
        return Int32((obj["StatusCode"] as? NSNumber)?.intValue ?? 125)
    }
}
