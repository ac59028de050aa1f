import Foundation
@testable import BerthCompose

/// A project directory with the given files, removed when the value is released.
final class ProjectDir {
    let path: String

    init(_ files: [String: String], name: String = "course") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("berth-compose-\(UUID().uuidString)").path
        path = base + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (file, text) in files {
            let full = path + "/" + file
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    func options(_ files: [String] = [], environment: [String: String] = [:]) -> ProjectOptions {
        var o = ProjectOptions(environment: environment, workingDirectory: path)
        o.files = files
        return o
    }

    func load(_ files: [String] = [], environment: [String: String] = [:], edit: (inout ProjectOptions) -> Void = { _ in }) throws -> ComposeProject {
        var o = options(files, environment: environment)
        edit(&o)
        return try ProjectLoader.load(o)
    }
}

/// The error a load throws, worded.
func loadError(_ yaml: String, environment: [String: String] = [:], extraFiles: [String: String] = [:]) -> String? {
    do {
        let dir = try ProjectDir(extraFiles.merging(["compose.yaml": yaml]) { a, _ in a })
        _ = try dir.load(environment: environment)
        return nil
    } catch {
        return "\(error)"
    }
}
