import ArgumentParser
import BerthAPI
import Foundation
import Glibc

/// `berth login [-u USER] [-p PASS | --password-stdin] [SERVER]`: checks the credentials through
/// berthd (`POST /auth`) and stores them in the docker CLI's config.json.
struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to a registry (Docker Hub by default)")

    @Option(name: .shortAndLong, help: "Username") var username: String?
    @Option(name: .shortAndLong, help: "Password") var password: String?
    @Flag(help: "Take the password from stdin") var passwordStdin = false
    @Argument(help: "Server (default: Docker Hub)") var server: String?

    func run() throws {
        let server = self.server ?? DockerConfig.hubServer
        var password = self.password
        if password != nil {
            FileHandle.standardError.write(Data("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n".utf8))
            if passwordStdin { throw CLIError("--password and --password-stdin are mutually exclusive") }
        }
        if passwordStdin {
            guard username != nil else { throw CLIError("Must provide --username with --password-stdin") }
            let data = FileHandle.standardInput.readDataToEndOfFile()
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
        }
        var user = username
        if user == nil || password == nil {
            guard isatty(0) != 0 else { throw CLIError("Cannot perform an interactive login from a non TTY device") }
            if user == nil {
                print("Username: ", terminator: "")
                fflush(nil)
                user = readLine()?.trimmingCharacters(in: .whitespaces)
            }
            if password == nil, let p = getpass("Password: ") { password = String(cString: p) }
        }
        guard let user, !user.isEmpty else { throw CLIError("Error: Non-null Username Required") }
        guard let password, !password.isEmpty else { throw CLIError("Error: Password Required") }
        let body = try JSONSerialization.data(withJSONObject: ["username": user, "password": password, "serveraddress": server])
        let api = try API.connect()
        _ = try api.call("POST", "/auth", headers: [("Content-Type", "application/json")], body: .data(body))
        var config = try DockerConfig.load()
        try config.store(server: server, username: user, password: password)
        if config.helper(for: DockerConfig.domain(of: server)) == nil {
            FileHandle.standardError.write(Data("WARNING! Your password will be stored unencrypted in \(config.path).\nConfigure a credential helper to remove this warning.\n".utf8))
        }
        print("Login Succeeded")
    }
}

/// `berth logout [SERVER]`.
struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out from a registry (Docker Hub by default)")

    @Argument(help: "Server (default: Docker Hub)") var server: String?

    func run() throws {
        let server = self.server ?? DockerConfig.hubServer
        var config = try DockerConfig.load()
        if try config.remove(server: server) {
            print("Removing login credentials for \(DockerConfig.key(forServer: server))")
        } else {
            print("Not logged in to \(DockerConfig.key(forServer: server))")
        }
    }
}
