import Foundation
import Testing
@testable import BerthCompose

/// Files, names and env files: where a project comes from.
@Suite struct ProjectTests {
    @Test func discoveryPrefersComposeYamlAndLooksInParents() throws {
        let dir = try ProjectDir(["compose.yaml": "services:\n  a: {image: one}\n", "docker-compose.yml": "services:\n  a: {image: two}\n",
                                  "sub/deeper/README": "x"], name: "Proj")
        let p = try ProjectLoader.load(ProjectOptions(environment: [:], workingDirectory: dir.path + "/sub/deeper"))
        #expect(p.files == [dir.path + "/compose.yaml"])
        #expect(p.workingDir == dir.path)
        #expect(p.name == "proj")
        #expect(p.services["a"]?.image == "one")
    }

    @Test func projectNamePrecedence() throws {
        let dir = try ProjectDir(["compose.yaml": "name: fromfile\nservices: {}\n", ".env": "COMPOSE_PROJECT_NAME=fromdotenv\n"], name: "dir")
        #expect(try dir.load { $0.projectName = "flag" }.name == "flag")
        #expect(try dir.load(environment: ["COMPOSE_PROJECT_NAME": "fromenv"]).name == "fromenv")
        #expect(try dir.load().name == "fromdotenv")
        try FileManager.default.removeItem(atPath: dir.path + "/.env")
        #expect(try dir.load().name == "fromfile")
        #expect(throws: ComposeError.self) { try dir.load { $0.projectName = "Bad Name" } }
    }

    @Test func directoryNameIsNormalised() throws {
        let dir = try ProjectDir(["compose.yaml": "services: {}\n"], name: "_My Course.2024")
        #expect(try dir.load().name == "mycourse2024")
        let bad = try ProjectDir(["compose.yaml": "services: {}\n"], name: "...")
        #expect(throws: ComposeError.self) { try bad.load() }
    }

    @Test func envFileFlagReplacesDotEnvAndProcessEnvironmentWins() throws {
        let dir = try ProjectDir(["compose.yaml": "services:\n  a:\n    image: \"${IMG}:${TAG}\"\n",
                                  ".env": "IMG=fromdotenv\nTAG=1\n", "ci.env": "IMG=fromflag\nTAG=2\n"])
        #expect(try dir.load().services["a"]?.image == "fromdotenv:1")
        #expect(try dir.load { $0.envFiles = ["ci.env"] }.services["a"]?.image == "fromflag:2")
        #expect(try dir.load(environment: ["TAG": "9"]) { $0.envFiles = ["ci.env"] }.services["a"]?.image == "fromflag:9")
    }

    @Test func composeFileVariableListsFiles() throws {
        let dir = try ProjectDir(["a.yml": "services:\n  s: {image: a}\n", "b.yml": "services:\n  s: {image: b}\n"])
        #expect(try dir.load(environment: ["COMPOSE_FILE": "a.yml:b.yml"]).services["s"]?.image == "b")
    }

    @Test func serviceEnvFilesUnderEnvironment() throws {
        let dir = try ProjectDir(["compose.yaml": """
        services:
          a:
            image: x
            env_file: [common.env, {path: optional.env, required: false}]
            environment: [B=explicit, FROM_SHELL, NOT_ANYWHERE]
        """, "common.env": "# comment\nA=1\nB=from-file\nexport C=\"multi\nline\"\nD='${A} literal'\nE=${A}-expanded # note\n"])
        let a = try #require(try dir.load(environment: ["FROM_SHELL": "shell"]).services["a"])
        let expected: [String: String?] = ["A": "1", "B": "explicit", "C": "multi\nline", "D": "${A} literal", "E": "1-expanded",
                                  "FROM_SHELL": "shell", "NOT_ANYWHERE": String?.none]
        #expect(a.environment == expected)
        #expect(a.envFiles == [.init(path: dir.path + "/common.env"), .init(path: dir.path + "/optional.env", required: false)])
    }

    /// `format: raw` keeps values as written; another format is refused by name.
    @Test func rawEnvFile() throws {
        let dir = try ProjectDir(["compose.yaml": """
        services:
          a:
            image: x
            env_file: [{path: raw.env, format: raw}]
        """, "raw.env": "# comment\n\nQ=\"quoted\" # not a comment\nS='${HOME}\\n'\n  EMPTY=\nSHELL_ONLY\nUNSET_ONLY\n"])
        let a = try #require(try dir.load(environment: ["SHELL_ONLY": "shell", "HOME": "/root"]).services["a"])
        let expected: [String: String?] = ["Q": "\"quoted\" # not a comment", "S": "'${HOME}\\n'", "EMPTY": "", "SHELL_ONLY": "shell"]
        #expect(a.environment == expected)
        #expect(a.envFiles == [.init(path: dir.path + "/raw.env", format: "raw")])
        let message = try #require(loadError("services:\n  a:\n    image: x\n    env_file: [{path: a.env, format: json}]\n"))
        #expect(message.contains("services.a.env_file.0.format must be raw"), "\(message)")
    }

    /// A container is an orphan when no service of the files, active or not, is its own.
    @Test func orphansAreContainersOfNoServiceInTheFiles() throws {
        let p = try ProjectDir(["compose.yaml": "services:\n  web: {image: x}\n  debug: {image: x, profiles: [debug]}\n"]).load()
        #expect(p.disabledServices == ["debug"])
        #expect(!p.isOrphan(service: "web"))
        #expect(!p.isOrphan(service: "debug"), "a service whose profile is off is still in the files")
        #expect(p.isOrphan(service: "old"))
        #expect(p.isOrphan(service: nil))
    }

    @Test func stdinFile() throws {
        var o = ProjectOptions(environment: [:], workingDirectory: "/tmp")
        o.files = ["-"]
        o.standardInput = { Array("services:\n  s:\n    image: from-stdin\n".utf8) }
        let p = try ProjectLoader.load(o)
        #expect(p.name == "tmp")
        #expect(p.services["s"]?.image == "from-stdin")
    }

    @Test func durationsPrintAsGoDoes() {
        let cases: [(String, String)] = [("30s", "30s"), ("90s", "1m30s"), ("1h", "1h0m0s"), ("1.5h", "1h30m0s"), ("500ms", "500ms"),
                                         ("1m0.5s", "1m0.5s"), ("2us", "2µs"), ("0", "0s"), ("1h2m3s4ms", "1h2m3.004s")]
        for (text, printed) in cases { #expect(Duration(parsing: text)?.description == printed, "\(text)") }
        for bad in ["", "10", "s", "1x", "1.s.", "--1s", "1e3s"] { #expect(Duration(parsing: bad) == nil, "\(bad)") }
    }
}
