@testable import BerthRegistryServer
import BerthOCI
import Foundation
import Testing

@Suite struct RegistryPageTests {
    @Test func thePageListsTagsWithSizesPushesAndPullsAndEscapesText() async throws {
        let root = NSTemporaryDirectory() + "berth-registry-page-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try RegistryStorage(root: root)
        let handler = RegistryHandler(storage: storage, htpasswd: nil, readOnly: false, log: try RequestLog(path: "/dev/null"))
        let config = try storage.content.write(Data(#"{"n":1}"#.utf8))
        let layer = try storage.content.write(Data(repeating: 1, count: 1500))
        try storage.linkBlob("lab/app", config)
        try storage.linkBlob("lab/app", layer)
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: config, size: 7),
                                layers: [Descriptor(mediaType: MediaType.ociLayer, digest: layer, size: 1500)])
        let (digest, _) = try storage.putManifest("lab/app", reference: "v1", data: try JSONEncoder().encode(manifest), contentType: nil)
        await handler.stats.recordPush("lab/app", reference: "v1")
        await handler.stats.recordPull("lab/app", reference: "v1")
        await handler.stats.recordPull("lab/app", reference: "v1")

        var rows: [RegistryHandler.RepositoryRow] = []
        for name in storage.repositories() { rows.append(.init(name: name, tags: storage.tags(name) ?? [], stats: await handler.stats.of(name))) }
        let html = handler.renderPage(rows)
        #expect(html.contains("<h2>lab/app</h2>"))
        #expect(html.contains("1 tag, 2 pulls"))
        #expect(html.contains("<td><code>v1</code></td><td><code title=\"\(digest)\">\(digest.short)</code></td><td>1.51kB</td>"), "\(html)")
        #expect(handler.escape(#"<script>alert("x") & 'y'</script>"#) == "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;")
    }
}
