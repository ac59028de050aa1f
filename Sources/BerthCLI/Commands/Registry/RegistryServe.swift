import ArgumentParser
import BerthOCI
import BerthRegistryServer
import Dispatch
import Foundation
import Glibc

/// `berth registry …`: berth's own registry server.
struct RegistryGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "Run berth's own image registry",
        subcommands: [RegistryServe.self, RegistryGC.self])
}

/// `berth registry serve`: the OCI distribution API in this process, like `docker run registry:2`.
struct RegistryServe: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve a registry (OCI distribution API and an HTML page at /)")

    @Option(help: "Address to listen on, HOST:PORT") var addr = "127.0.0.1:5000"
    @Option(help: "Directory holding the registry's blobs and repositories") var root = "/var/lib/berth-registry"
    @Option(help: "TLS certificate (PEM); with --tls-key serves HTTPS") var tlsCert: String?
    @Option(help: "TLS private key (PEM)") var tlsKey: String?
    @Option(help: "htpasswd file with bcrypt entries (htpasswd -B); requires basic auth") var htpasswd: String?
    @Flag(help: "Refuse pushes and deletions") var readOnly = false
    @Option(help: "Append the request log to this file instead of stderr") var log: String?
    @Option(help: "Close a connection that sends no request for this long") var idleTimeout = "2m"
    @Option(help: "Cut off a request body that brings less than 1 KiB, or a response the client stops reading, in this long") var readTimeout = "1m"
    @Option(help: "Connections served at once; more get 503") var maxConnections = 512
    @Option(help: "Upload sessions open at once; more get 429") var maxUploads = 256
    @Option(help: "Drop an upload session (and its data) untouched for this long") var uploadTimeout = "1h"

    func run() throws {
        let (host, port) = try RegistryServer.parseAddress(addr)
        var options = RegistryServer.Options(root: root)
        options.host = host
        options.port = port
        options.tlsCertificate = tlsCert
        options.tlsKey = tlsKey
        options.htpasswd = htpasswd
        options.readOnly = readOnly
        options.logPath = log
        options.idleTimeout = try Self.duration(idleTimeout, "--idle-timeout")
        options.readTimeout = try Self.duration(readTimeout, "--read-timeout")
        options.uploadTimeout = try Self.duration(uploadTimeout, "--upload-timeout")
        guard maxConnections > 0, maxUploads > 0 else { throw CLIError("berth registry: --max-connections and --max-uploads must be at least 1") }
        options.maxConnections = maxConnections
        options.maxUploads = maxUploads
        let server = RegistryServer(options: options)
        let scheme = tlsCert == nil ? "http" : "https"
        let failure = LockedBox<Error?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do {
                try await server.run { bound in
                    FileHandle.standardError.write(Data("berth registry listening on \(scheme)://\(host):\(bound) (root \(root))\n".utf8))
                }
            } catch {
                failure.set(error)
            }
            done.signal()
        }
        // SIGINT/SIGTERM stop serving; the process then exits 0.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            sources.append(source)
        }
        withExtendedLifetime(sources) { done.wait() }
        if let error = failure.get() { throw CLIError("berth registry: \(error)") }
    }
}

extension RegistryServe {
    /// A positive Go duration (`90s`, `2m`, `1h30m`).
    static func duration(_ text: String, _ flag: String) throws -> Duration {
        let nanoseconds: Int64
        do { nanoseconds = try GoDuration.parse(text) } catch { throw CLIError("berth registry: \(flag) \(text): \(error)") }
        guard nanoseconds > 0 else { throw CLIError("berth registry: \(flag) must be longer than 0, like 30s or 2m") }
        return .nanoseconds(nanoseconds)
    }
}

/// `berth registry gc`: frees blobs no manifest references.
struct RegistryGC: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove blobs no manifest references (stop the server first)")

    @Option(help: "The registry's root directory") var root = "/var/lib/berth-registry"
    @Flag(help: "Only list what would be removed") var dryRun = false
    @Flag(help: "Also remove manifests no tag reaches") var deleteUntagged = false

    func run() throws {
        let report: GarbageCollector.Report
        do {
            report = try GarbageCollector.run(root: root, dryRun: dryRun, deleteUntagged: deleteUntagged)
        } catch {
            throw CLIError("berth registry gc: \(error)")
        }
        let verb = dryRun ? "would remove" : "removed"
        for manifest in report.manifests { print("\(verb) manifest \(manifest)") }
        for blob in report.blobs { print("\(verb) blob \(blob)") }
        print("\(report.blobs.count) blobs (\(report.bytes) bytes) \(dryRun ? "would be freed" : "freed"), \(report.manifests.count) manifests \(dryRun ? "would be removed" : "removed")")
    }
}

/// A value shared between the serving task and the waiting main thread.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}
