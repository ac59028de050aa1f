import ArgumentParser
import BerthOCI
import Foundation

/// `berth pull [-a] [-q] [--platform P] NAME[:TAG|@DIGEST]`.
struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an image from a registry")

    @Flag(name: [.short, .customLong("all-tags")], help: "Download all tagged images in the repository") var allTags = false
    @Flag(name: .shortAndLong, help: "Suppress verbose output") var quiet = false
    @Option(help: "Set platform if server is multi-platform capable (os/arch[/variant])") var platform: String?
    @Flag(name: .customLong("disable-content-trust"), inversion: .prefixedEnableDisable, help: .hidden) var contentTrustDisabled = true
    @Argument(help: "NAME[:TAG|@DIGEST]") var name: String

    func run() throws {
        guard contentTrustDisabled else { throw CLIError("content trust (--disable-content-trust=false) is not supported by berth") }
        let ref = try Reference(parsing: name)
        if allTags, ref.tag != nil || ref.digest != nil { throw CLIError("tag can't be used with --all-tags/-a") }
        let target = allTags ? ref : ref.defaultingTag
        try Self.pull(target, platform: platform, quiet: quiet)
        print(allTags ? target.repository : target.description)
    }

    /// Pulls through berthd, showing its progress on stdout (`quiet`: nothing but errors).
    static func pull(_ ref: Reference, platform: String?, quiet: Bool, to out: ProgressDisplay = ProgressDisplay()) throws {
        var query = [("fromImage", ref.repository), ("tag", ref.digest?.description ?? ref.tag ?? "")]
        if let platform { query.append(("platform", platform)) }
        let auth = try DockerConfig.load().registryAuthHeader(for: ref.domain)
        let api = try API.connect()
        let resp = try api.call("POST", "/images/create", query: query, headers: [("X-Registry-Auth", auth)])
        var display = out
        try api.stream(resp) { msg in
            if !quiet { display.show(msg) }
        }
    }
}

/// `berth push [-a] [-q] NAME[:TAG]`.
struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: "Upload an image to a registry")

    @Flag(name: [.short, .customLong("all-tags")], help: "Push all tags of an image to the repository") var allTags = false
    @Flag(name: .shortAndLong, help: "Suppress verbose output") var quiet = false
    @Flag(name: .customLong("disable-content-trust"), inversion: .prefixedEnableDisable, help: .hidden) var contentTrustDisabled = true
    @Argument(help: "NAME[:TAG]") var name: String

    func run() throws {
        guard contentTrustDisabled else { throw CLIError("content trust (--disable-content-trust=false) is not supported by berth") }
        let ref = try Reference(parsing: name)
        if ref.digest != nil { throw CLIError("cannot push a digest reference (\(name)); push a tag") }
        if allTags, ref.tag != nil { throw CLIError("tag can't be used with --all-tags/-a") }
        let auth = try DockerConfig.load().registryAuthHeader(for: ref.domain)
        let api = try API.connect()
        let tag = allTags ? "" : ref.tag ?? Reference.defaultTag
        let resp = try api.call("POST", "/images/\(ref.repository)/push", query: [("tag", tag)], headers: [("X-Registry-Auth", auth)])
        var display = ProgressDisplay()
        try api.stream(resp) { msg in
            if !quiet { display.show(msg) }
        }
        if quiet { print(allTags ? ref.repository : ref.defaultingTag.description) }
    }
}
