import BerthOCI
import Foundation
import Testing

/// Image indexes that point at indexes: one nested level is followed (containerd follows
/// nested indexes; moby's own puller refuses any), deeper nesting and an index whose child
/// resolves to itself are refused with a clear error and nothing is stored.
@Suite(.serialized) struct HostileIndexTests {
    static let indexType = "application/vnd.oci.image.index.v1+json"

    static func index(_ child: Data, type: String) -> Data {
        Data(#"{"schemaVersion":2,"mediaType":"\#(indexType)","manifests":[{"mediaType":"\#(type)","digest":"\#(Digest.sha256(of: child))","size":\#(child.count),"platform":{"architecture":"amd64","os":"linux"}}]}"#.utf8)
    }

    @Test func nestedIndexesAreFollowedOneLevelAndSelfReferencesAreRefused() throws {
        let ns = try NetNS()
        let layer = try Data(contentsOf: URL(fileURLWithPath: Fixtures.busyboxTar))
        let layerDigest = Digest.sha256(of: layer)
        let config = Data(#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["\#(layerDigest)"]}}"#.utf8)
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(Digest.sha256(of: config))","size":\#(config.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layerDigest)","size":\#(layer.count)}]}"#.utf8)
        let one = Self.index(manifest, type: MediaType.ociManifest)
        let two = Self.index(one, type: Self.indexType)
        let three = Self.index(two, type: Self.indexType)
        // An index whose child, asked for by digest, is answered with the index itself.
        let decoy = Data(#"{"schemaVersion":2,"mediaType":"\#(Self.indexType)","manifests":[]}"#.utf8)
        let selfish = Self.index(decoy, type: Self.indexType)
        let indexHeaders = ["Content-Type": Self.indexType]
        var routes: [String: ScriptedRegistry.Route] = [
            "/v2/": .init(),
            "/v2/n/idx/blobs/\(Digest.sha256(of: config))": .init(body: config),
            "/v2/n/idx/blobs/\(layerDigest)": .init(body: layer),
            "/v2/n/idx/manifests/\(Digest.sha256(of: manifest))": .init(headers: ["Content-Type": MediaType.ociManifest], body: manifest),
            "/v2/n/idx/manifests/two": .init(headers: indexHeaders, body: two),
            "/v2/n/idx/manifests/three": .init(headers: indexHeaders, body: three),
            "/v2/n/idx/manifests/self": .init(headers: indexHeaders, body: selfish),
            "/v2/n/idx/manifests/\(Digest.sha256(of: decoy))": .init(headers: indexHeaders, body: selfish),
        ]
        for doc in [one, two] { routes["/v2/n/idx/manifests/\(Digest.sha256(of: doc))"] = .init(headers: indexHeaders, body: doc) }
        let registry = try ScriptedRegistry(netns: ns, routes: routes)
        let d = try Daemon(netns: ns)
        let base = "\(registry.host)/n/idx"

        let deep = d.berth("pull", "\(base):three")
        #expect(deep.status != 0)
        #expect(deep.stderr.contains("the image index from \(registry.host)/n/idx nests more than 2 levels deep; refusing it"), "\(deep.stderr)")
        let loop = d.berth("pull", "\(base):self")
        #expect(loop.status != 0)
        #expect(loop.stderr.contains("manifest \(Digest.sha256(of: decoy)) from \(registry.host) failed verification"), "\(loop.stderr)")
        #expect(d.berth("images", "-q").stdout.isEmpty)
        #expect(d.entries("content/blobs/sha256").isEmpty, "nothing of the refused pulls is stored")
        #expect(!registry.requests.contains { $0.contains("/blobs/") }, "no blob was asked for")

        let nested = d.berth("pull", "-q", "\(base):two")
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(d.berth("run", "--rm", "--network", "none", "\(base):two", "echo", "ok").stdout == "ok\n")
    }
}
