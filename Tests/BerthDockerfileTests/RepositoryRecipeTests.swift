import Foundation
import Testing
@testable import BerthDockerfile

@Suite struct RepositoryRecipeTests {
    /// A fresh directory with `files` written into it.
    func repository(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-\(UUID().uuidString)")
        for (name, content) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func noRecipeFilesGivesNil() throws {
        let dir = try repository(["README.md": "hi", "main.py": "print(1)"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try RepositoryRecipe.dockerfile(forDirectory: dir, baseImage: "python:3.12-slim") == nil)
    }

    @Test func fullRecipeParsesWithTheParser() throws {
        let dir = try repository([
            "apt.txt": "# tools\ncurl\n\ngit  # version control\nlibxml2-dev=2.9.14+dfsg-1\n",
            "runtime.txt": "python-3.12\n",
            "requirements.txt": "numpy\n",
            "postBuild": "#!/bin/sh\necho built > built.txt\n",
            "start": "#!/bin/sh\nexport STARTED=1\nexec \"$@\"\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try #require(try RepositoryRecipe.dockerfile(forDirectory: dir, baseImage: "python:3.12-slim"))
        let file = try Dockerfile.parse(text, file: "repo2docker")
        #expect(file.stages.count == 1)
        let stage = file.stages[0]
        #expect(stage.base == "python:3.12-slim")
        let commands = stage.instructions.map(\.command)
        #expect(commands.contains(.arg([ArgDeclaration(name: "NB_USER", defaultValue: "jovyan")])))
        #expect(commands.contains(.arg([ArgDeclaration(name: "NB_UID", defaultValue: "1000")])))
        #expect(commands.contains(.label([KeyValue(key: "org.berth.repo2docker.python", value: "\"3.12\"")])))
        let runs = commands.compactMap { command -> String? in
            if case .run(let run) = command, case .shell(let s) = run.form { return s }
            return nil
        }
        let apt = try #require(runs.first { $0.contains("apt-get install") })
        #expect(apt.contains("apt-get update &&"))
        #expect(apt.contains("--no-install-recommends"))
        #expect(apt.contains("curl") && apt.contains("git") && apt.contains("libxml2-dev=2.9.14+dfsg-1"))
        #expect(!apt.contains("tools") && !apt.contains("version control"))
        #expect(apt.contains("rm -rf /var/lib/apt/lists/*"))
        #expect(runs.contains { $0.contains("useradd") && $0.contains("${NB_UID}") })
        #expect(runs.contains { $0.contains("python3 -m venv") })
        #expect(runs.contains { $0.contains("pip install --no-cache-dir -r \"${REPO_DIR}/requirements.txt\"") })
        #expect(runs.contains { $0.contains("${REPO_DIR}/postBuild") })
        #expect(runs.contains { $0.contains("3.12") && $0.contains("runtime.txt asks for python-3.12") })
        #expect(commands.contains(.user("${NB_UID}")))
        #expect(commands.contains(.copy(CopyCommand(sources: ["."], destination: "${REPO_DIR}", chown: "${NB_UID}:${NB_UID}"))))
        #expect(commands.contains(.entrypoint(.exec(["/bin/sh", "-c", "exec \"$REPO_DIR/start\" \"$@\"", "start"]))))
        #expect(commands.contains(.cmd(.exec(["jupyter", "notebook", "--ip", "0.0.0.0"]))))
        // The apt step comes before the user switch, the postBuild after the copy of the repository.
        let userIndex = try #require(commands.firstIndex(of: .user("${NB_UID}")))
        let aptIndex = try #require(commands.firstIndex { if case .run(let r) = $0, case .shell(let s) = r.form { return s.contains("apt-get") }; return false })
        #expect(aptIndex < userIndex)
        // ENV expands as the builder will expand it.
        let env = commands.compactMap { if case .env(let pairs) = $0 { return pairs }; return nil }.flatMap { $0 }
        #expect(env.contains(KeyValue(key: "HOME", value: "/home/${NB_USER}")))
        #expect(try VariableExpander(variables: ["NB_USER": "jovyan"]).expand("/home/${NB_USER}") == "/home/jovyan")
    }

    @Test func generatedShellStepsAreValidShell() throws {
        let dir = try repository(["apt.txt": "curl\n", "runtime.txt": "python-3\n", "requirements.txt": "x\n", "setup.py": "", "postBuild": "", "start": ""])
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try #require(try RepositoryRecipe.dockerfile(forDirectory: dir, baseImage: "python:3"))
        let scripts = try Dockerfile.parse(text).stages[0].instructions.compactMap { instruction -> String? in
            if case .run(let run) = instruction.command, case .shell(let script) = run.form { return script }
            return nil
        }
        #expect(scripts.count == 8)
        for script in scripts {
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-n", "-c", script]
            try shell.run()
            shell.waitUntilExit()
            #expect(shell.terminationStatus == 0, "not valid sh: \(script)")
        }
    }

    @Test func binderDirectoryWins() throws {
        let dir = try repository(["binder/requirements.txt": "pandas\n", "binder/start": "exec \"$@\"\n", "environment.yml": "ignored: outside binder"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try #require(try RepositoryRecipe.dockerfile(forDirectory: dir, baseImage: "python:3.12"))
        #expect(text.contains("binder/requirements.txt"))
        #expect(text.contains("$REPO_DIR/binder/start"))
        #expect(!text.contains("apt-get"))
        _ = try Dockerfile.parse(text)
    }

    @Test func environmentYmlIsRefusedClearly() throws {
        let dir = try repository(["environment.yml": "dependencies: [numpy]\n", "requirements.txt": "x\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            _ = try RepositoryRecipe.dockerfile(forDirectory: dir, baseImage: "python:3.12")
        } throws: { error in
            (error as? DockerfileError)?.message.contains("environment.yml is not supported: it needs conda, which is not reachable") == true
        }
    }

    @Test func badRuntimeAndAptLinesAreRefused() throws {
        let r = try repository(["runtime.txt": "r-2020-01-01\n"])
        let a = try repository(["apt.txt": "curl; rm -rf /\n"])
        defer { try? FileManager.default.removeItem(at: r); try? FileManager.default.removeItem(at: a) }
        #expect(throws: DockerfileError.self) { try RepositoryRecipe.dockerfile(forDirectory: r, baseImage: "python:3") }
        do {
            _ = try RepositoryRecipe.dockerfile(forDirectory: a, baseImage: "python:3")
            Issue.record("accepted a shell command as a package")
        } catch {
            #expect(error.location == SourceLocation(file: "apt.txt", line: 1))
            #expect(error.message.contains("not a Debian package name"))
        }
    }
}
