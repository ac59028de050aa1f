import BerthAPI
import BerthCompose
import Foundation

/// What `berth compose up`/`down`/`ps` ask berthd about a project, over the Engine API.
struct ComposeEngine {
    let api: API
    let project: String

    /// docker compose's progress lines (" Container shop-web-1  Started"), on stderr as it prints them.
    static func progress(_ kind: String, _ name: String, _ state: String) {
        FileHandle.standardError.write(Data(" \(kind) \(name)  \(state)\n".utf8))
    }

    /// A JSON object at `path`, or nil when berthd answers 404.
    func find(_ path: String) throws -> [String: Any]? {
        let resp = try api.client.send(method: "GET", path: "/v\(APIVersion.current)\(path)")
        let data = try resp.readAll()
        if resp.status == 404 { return nil }
        guard (200..<300).contains(resp.status) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            throw CLIError("Error response from daemon: \(message)")
        }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Stops a container; one already stopped (304) is fine.
    func stop(_ id: String, timeout: Int? = nil) throws {
        let query = timeout.map { [("t", String($0))] } ?? []
        let resp = try api.client.send(method: "POST", path: "/v\(APIVersion.current)/containers/\(id)/stop", query: query)
        let data = try resp.readAll()
        guard (200..<300).contains(resp.status) || resp.status == 304 else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["message"] as? String ?? String(decoding: data, as: UTF8.self)
            throw CLIError("Error response from daemon: \(message)")
        }
    }

    func post(_ path: String, query: [(String, String)] = [], _ body: [String: Any]) throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: body)
        let resp = try api.call("POST", path, query: query, headers: [("Content-Type", "application/json")], body: .data(data))
        let answer = try resp.readAll()
        return answer.isEmpty ? [:] : (try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:])
    }

    /// The filter that selects the project's objects.
    var projectFilter: (String, String) {
        let data = (try? JSONSerialization.data(withJSONObject: ["label": ["\(ComposeLabel.project)=\(project)": true]])) ?? Data()
        return ("filters", String(decoding: data, as: UTF8.self))
    }

    /// The project's containers (running or not), as `GET /containers/json` lists them.
    func containers(all: Bool = true) throws -> [[String: Any]] {
        var query = [projectFilter]
        if all { query.append(("all", "1")) }
        return try api.json("GET", "/containers/json", query: query) as? [[String: Any]] ?? []
    }

    func networks() throws -> [[String: Any]] {
        try api.json("GET", "/networks", query: [projectFilter]) as? [[String: Any]] ?? []
    }

    func volumes() throws -> [[String: Any]] {
        (try api.json("GET", "/volumes", query: [projectFilter]) as? [String: Any])?["Volumes"] as? [[String: Any]] ?? []
    }

    static func labels(_ c: [String: Any]) -> [String: String] { c["Labels"] as? [String: String] ?? [:] }

    static func name(_ c: [String: Any]) -> String {
        let n = (c["Names"] as? [String])?.first ?? c["Id"] as? String ?? ""
        return n.hasPrefix("/") ? String(n.dropFirst()) : n
    }
}

extension ComposeProjectFlags {
    /// The project's name: from the files, or `-p` alone when there are none (`down`, `ps`).
    func nameOnly() throws -> (name: String, project: ComposeProject?) {
        do {
            let p = try load()
            return (p.name, p)
        } catch let e as CLIError {
            guard let projectName, e.message.hasPrefix("no configuration file provided") else { throw e }
            guard ProjectLoader.isValidProjectName(projectName) else {
                throw CLIError("invalid project name \(projectName.debugDescription): it must contain only lowercase letters, decimal digits, dashes, and underscores, and must begin with a lowercase letter or decimal digit")
            }
            return (projectName, nil)
        }
    }
}
