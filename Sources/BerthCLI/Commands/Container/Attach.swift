import ArgumentParser
import BerthAPI
import Foundation
import Glibc

/// `berth attach`: this terminal joined to a running container's stdio, as `docker attach`.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach local standard input, output, and error streams to a running container")

    @Flag(help: "Do not attach STDIN") var noStdin = false
    @Option(help: "Proxy all received signals to the process (without a terminal); --sig-proxy=false to turn off") var sigProxy = true
    @Option(help: "Override the key sequence for detaching a container") var detachKeys: String?
    @Argument(help: "Container") var container: String

    func run() throws {
        _ = try AttachStream.keys(detachKeys)
        let socket = try DaemonConnection.socketPath()
        // Sent first, like docker: the container's exit code once the stream ends.
        let wait = try UnixHTTPClient(socketPath: socket).send(method: "POST", path: "/v\(APIVersion.current)/containers/\(container)/wait")
        let info = try API(client: try UnixHTTPClient(socketPath: socket)).json("GET", "/containers/\(container)/json") as? [String: Any] ?? [:]
        let state = info["State"] as? [String: Any] ?? [:]
        let config = info["Config"] as? [String: Any] ?? [:]
        if state["Running"] as? Bool != true { throw CLIError("cannot attach to a stopped container, start it first") }
        if state["Paused"] as? Bool == true { throw CLIError("cannot attach to a paused container, unpause it first") }
        if state["Restarting"] as? Bool == true { throw CLIError("cannot attach to a restarting container, wait until it is running") }
        let tty = config["Tty"] as? Bool ?? false
        if tty && !noStdin && isatty(0) == 0 { throw CLIError("the input device is not a TTY") }
        let stdin = !noStdin && (config["OpenStdin"] as? Bool ?? false)
        let id = info["Id"] as? String ?? container
        let stream = try AttachStream(socketPath: socket, id: id, stdin: stdin, tty: tty, detachKeys: detachKeys)
        var terminal = TerminalMode()
        if tty {
            if stdin { terminal.makeRaw() }
            if let (h, w) = TerminalMode.size() {
                _ = try? API(client: try UnixHTTPClient(socketPath: socket)).call("POST", "/containers/\(id)/resize", query: [("h", "\(h)"), ("w", "\(w)")])
            }
        }
        let proxy = sigProxy && !tty ? SignalProxy(socket: socket, container: id) : nil
        if stdin { stream.forwardStdin() } else { try? stream.connection.closeWrite() }
        stream.pumpOutput()
        terminal.restore()
        proxy?.stop()
        // The container runs on; docker reports the detach as this error.
        if stream.detached { throw CLIError("read escape sequence") }
        let result = try JSONSerialization.jsonObject(with: try wait.readAll()) as? [String: Any] ?? [:]
        if let err = (result["Error"] as? [String: Any])?["Message"] as? String, !err.isEmpty { throw CLIError(err) }
        let code = Int32((result["StatusCode"] as? NSNumber)?.intValue ?? 0)
        if code != 0 { Glibc.exit(code) }
    }
}
