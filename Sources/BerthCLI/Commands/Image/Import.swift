import ArgumentParser
import BerthAPI
import BerthOCI
import Foundation

/// `berth import FILE|- [REPOSITORY[:TAG]]`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import the contents from a tarball to create a filesystem image")

    @Argument(help: "A tar archive of a root filesystem (plain, gzip, zstd, xz, bzip2), or - for stdin") var file: String
    @Argument(help: "Name for the new image") var reference: String?
    @Option(name: .shortAndLong, help: "Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, ...)") var change: [String] = []
    @Option(name: .shortAndLong, help: "Set commit message for imported image") var message: String?
    @Option(help: "Set platform if server is multi-platform capable") var platform: String?

    func run() throws {
        var query: [(String, String)] = [("fromSrc", "-")]
        if let reference {
            let ref = try Reference(parsing: reference)
            query.append(("repo", ref.repository))
            if let t = ref.tag { query.append(("tag", t)) }
        }
        for c in change { query.append(("changes", c)) }
        if let message { query.append(("message", message)) }
        if let platform { query.append(("platform", platform)) }
        let source: FileHandle
        if file == "-" {
            source = .standardInput
        } else {
            if file.contains("://") {
                throw CLIError("import from a URL (\(file)) is not supported; download it first and import the file")
            }
            guard let h = FileHandle(forReadingAtPath: file) else { throw CLIError("open \(file): no such file or not readable") }
            source = h
        }
        let api = try API.connect()
        let upload = UploadProgress(label: "Importing", total: file == "-" ? nil : UploadProgress.size(of: file))
        let resp = try api.call("POST", "/images/create", query: query, headers: [("Content-Type", "application/x-tar")],
                                body: .stream(source, progress: upload.callback))
        upload.finish()
        try api.stream(resp) { msg in
            if let s = msg["status"] as? String { print(s) }
        }
    }
}
