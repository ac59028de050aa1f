import ArgumentParser
import BerthAPI
import Foundation
import Glibc

/// `berth save`.
struct Save: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save one or more images to a tar archive (docker save format and OCI layout)")

    @Argument(help: "Images") var images: [String]
    @Option(name: .shortAndLong, help: "Write to a file, instead of STDOUT") var output: String?

    func run() throws {
        guard !images.isEmpty else { throw CLIError("save needs at least one image") }
        if output == nil && isatty(1) != 0 {
            throw CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        }
        let api = try API.connect()
        let resp = try api.call("GET", "/images/get", query: images.map { ("names", $0) })
        try Self.write(resp, to: output)
    }

    /// Writes a response body to `output` (or stdout): beside the target first and renamed at
    /// the end, so a failure leaves no truncated file.
    static func write(_ resp: HTTPResponse, to output: String?) throws {
        let tmp = output.map { "\($0).berth-partial" }
        let sink: FileHandle
        if let tmp {
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
                throw CLIError("cannot create \(tmp)")
            }
            sink = h
        } else {
            sink = .standardOutput
        }
        do {
            while let chunk = try resp.readChunk() { try sink.write(contentsOf: chunk) }
            if let tmp, let output {
                try sink.synchronize()
                try sink.close()
                guard rename(tmp, output) == 0 else { throw CLIError("cannot rename \(tmp) to \(output)") }
            }
        } catch {
            if let tmp { unlink(tmp) }
            throw error
        }
    }
}

/// `berth load`.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load an image from a tar archive or STDIN")

    @Option(name: .shortAndLong, help: "Read from tar archive file, instead of STDIN") var input: String?
    @Flag(name: .shortAndLong, help: "Suppress the load output") var quiet = false

    func run() throws {
        let source: FileHandle
        if let input {
            guard let h = FileHandle(forReadingAtPath: input) else { throw CLIError("open \(input): no such file or not readable") }
            source = h
        } else {
            if isatty(0) != 0 { throw CLIError("requested load from stdin, but stdin is empty") }
            source = .standardInput
        }
        let api = try API.connect()
        // Like docker: per-layer progress only on a terminal.
        let progressLines = !quiet && isatty(1) != 0
        let upload = UploadProgress(label: "Sending", total: input.flatMap(UploadProgress.size))
        let resp = try api.call("POST", "/images/load", query: progressLines ? [] : [("quiet", "1")],
                                headers: [("Content-Type", "application/x-tar")], body: .stream(source, progress: upload.callback))
        upload.finish()
        try api.stream(resp) { msg in
            if quiet { return }
            if let s = msg["stream"] as? String { print(s, terminator: "") }
            if let status = msg["status"] as? String, let id = msg["id"] as? String {
                print("\(id): \(status) \(msg["progress"] as? String ?? "")")
            }
        }
    }
}
