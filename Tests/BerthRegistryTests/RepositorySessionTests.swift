import BerthOCI
import BerthRegistry
import BerthStore
import Foundation
import Synchronization
import Testing

/// The distribution client against a scripted registry on 127.0.0.1.
@Suite struct RepositorySessionTests {
    let client = RegistryClient()

    func tempStore() throws -> ContentStore {
        let dir = NSTemporaryDirectory() + "berth-registry-test-\(UUID().uuidString)"
        return try ContentStore(root: dir)
    }

    func blob(_ size: Int, seed: UInt8 = 7) -> Data { Data((0..<size).map { UInt8(truncatingIfNeeded: $0 * 31 + Int(seed)) }) }

    func descriptor(_ data: Data, type: String = MediaType.ociLayerGzip) -> Descriptor {
        Descriptor(mediaType: type, digest: Digest.sha256(of: data), size: Int64(data.count))
    }

    func ingestFiles(_ store: ContentStore) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "\(store.root)/ingest")) ?? []
    }

    @Test func bearerTokenComesFromTheChallengeRealmWithCredentials() async throws {
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "a", count: 64))","size":2},"layers":[]}"#.utf8)
        let basic = "Basic " + Data("alice:pw".utf8).base64EncodedString()
        let registry = try await FakeRegistry { req in
            let realm = "Bearer realm=\"http://\(req.headers["host"] ?? "")/token\",service=\"fake\""
            switch req.path {
            case "/token":
                guard req.headers["authorization"] == basic else { return .init(401) }
                return .init(200, body: Data(#"{"token":"T0K"}"#.utf8))
            case "/v2/":
                return .init(401, [("WWW-Authenticate", realm)])
            default:
                guard req.headers["authorization"] == "Bearer T0K" else { return .init(401, [("WWW-Authenticate", realm)]) }
                return .init(200, [("Content-Type", MediaType.ociManifest)], body: manifest)
            }
        }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "team/app", credentials: .init(username: "alice", password: "pw"))
        let doc = try await session.manifest("v1")
        #expect(doc.data == manifest)
        #expect(doc.mediaType == MediaType.ociManifest)
        let token = try #require(registry.requests.first { $0.path == "/token" })
        #expect(token.uri.contains("service=fake"))
        #expect(token.uri.contains("scope=repository:team/app:pull") || token.uri.contains("scope=repository%3Ateam%2Fapp%3Apull"))
        #expect(token.uri.contains("account=alice"))

        let anonymous = try await client.session(domain: registry.host, repository: "team/app", credentials: nil)
        await #expect(throws: RegistryError.self) { try await anonymous.manifest("v1") }
    }

    @Test func basicAuthIsSentWhenTheRegistryAsksForIt() async throws {
        let basic = "Basic " + Data("bob:pw".utf8).base64EncodedString()
        let registry = try await FakeRegistry { req in
            guard req.headers["authorization"] == basic else { return .init(401, [("WWW-Authenticate", "Basic realm=\"r\"")]) }
            return req.path == "/v2/" ? .init(200) : .init(404, body: Data(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.utf8))
        }
        defer { Task { await registry.stop() } }
        let good = try await client.session(domain: registry.host, repository: "x", credentials: .init(username: "bob", password: "pw"))
        try await good.login()
        await #expect { try await good.manifest("nope") } throws: { error in
            let e = error as? RegistryError
            return e?.code == .notFound && e?.message == "manifest for \(registry.host)/x:nope not found: manifest unknown: manifest unknown"
        }
        let bad = try await client.session(domain: registry.host, repository: "", credentials: .init(username: "bob", password: "wrong"))
        await #expect { try await bad.login() } throws: { ($0 as? RegistryError)?.code == .unauthorized }
    }

    @Test func blobWithWrongContentIsRefusedAndNothingOfItIsKept() async throws {
        let good = blob(300_000)
        var tampered = good
        tampered[1000] ^= 0xff
        let evil = tampered
        let desc = descriptor(good)
        let registry = try await FakeRegistry { req in
            req.path == "/v2/" ? .init(200) : .init(200, body: evil)
        }
        defer { Task { await registry.stop() } }
        let store = try tempStore()
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        await #expect { try await session.download(desc, into: store) } throws: { error in
            let e = error as? RegistryError
            return e?.code == .invalid && e?.message.contains("\(desc.digest)") == true && e?.message.contains(registry.host) == true
        }
        #expect(!store.exists(desc.digest))
        #expect(store.all().isEmpty)
        #expect(ingestFiles(store).isEmpty)
    }

    @Test func blobLongerThanItsDescriptorIsCutOffAndRefused() async throws {
        let good = blob(10_000)
        let desc = descriptor(good)
        let registry = try await FakeRegistry { req in
            req.path == "/v2/" ? .init(200) : .init(200, body: good + blob(5_000_000))
        }
        defer { Task { await registry.stop() } }
        let store = try tempStore()
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        await #expect { try await session.download(desc, into: store) } throws: { ($0 as? RegistryError)?.message.contains("larger than") == true }
        #expect(store.all().isEmpty && ingestFiles(store).isEmpty)
    }

    @Test func oversizedManifestIsRefused() async throws {
        let huge = Data(repeating: 0x20, count: ImageDocument.maxSize + 10)
        let registry = try await FakeRegistry { req in req.path == "/v2/" ? .init(200) : .init(200, body: huge) }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        await #expect { try await session.manifest("latest") } throws: { ($0 as? RegistryError)?.message.contains("limit") == true }
    }

    @Test func manifestWhoseBytesDoNotMatchItsDigestIsRefused() async throws {
        let body = Data(#"{"schemaVersion":2}"#.utf8)
        let other = Digest.sha256(of: Data("other".utf8))
        let registry = try await FakeRegistry { req in req.path == "/v2/" ? .init(200) : .init(200, body: body) }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        await #expect { try await session.manifest(other.description) } throws: { ($0 as? RegistryError)?.code == .invalid }
    }

    @Test func redirectLoopIsRefused() async throws {
        let registry = try await FakeRegistry { req in
            if req.path == "/v2/" { return .init(200) }
            return .init(307, [("Location", req.path == "/a" ? "/b" : "/a")])
        }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        await #expect { try await session.manifest("latest") } throws: { ($0 as? RegistryError)?.message.contains("loop") == true }
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let data = blob(1000)
        let desc = descriptor(data)
        // The first two GETs of the blob get 503.
        let counter = Counter()
        let flaky = try await FakeRegistry { req in
            if req.path == "/v2/" { return .init(200) }
            return counter.next() <= 2 ? .init(503) : .init(200, body: data)
        }
        defer { Task { await flaky.stop() } }
        let store = try tempStore()
        let session = try await client.session(domain: flaky.host, repository: "r", credentials: nil)
        try await session.download(desc, into: store)
        #expect(store.exists(desc.digest))
        #expect(flaky.requests.filter { $0.path.contains("/blobs/") }.count == 3)
    }

    @Test func brokenDownloadResumesWithRange() async throws {
        let data = blob(3_000_000)
        let desc = descriptor(data)
        let counter = Counter()
        let registry = try await FakeRegistry { req in
            if req.path == "/v2/" { return .init(200) }
            if counter.next() == 1 { return .init(200, body: data, cutAfter: 1_200_000) }
            guard let range = req.headers["range"], range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).dropLast()) else {
                return .init(200, body: data)
            }
            return .init(206, [("Content-Range", "bytes \(start)-\(data.count - 1)/\(data.count)")], body: data.suffix(from: start))
        }
        defer { Task { await registry.stop() } }
        let store = try tempStore()
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        try await session.download(desc, into: store)
        #expect(try store.read(desc.digest) == data)
        let gets = registry.requests.filter { $0.path.contains("/blobs/") }
        #expect(gets.count == 2)
        let resumedAt = gets.last?.headers["range"].flatMap { Int($0.dropFirst(6).dropLast()) } ?? 0
        #expect(resumedAt > 0 && resumedAt < data.count, "asked only for what was missing")
        #expect(ingestFiles(store).isEmpty)
    }

    @Test func partialLeftByACrashIsResumedAndVerified() async throws {
        let data = blob(500_000)
        let desc = descriptor(data)
        let store = try tempStore()
        // What a killed berthd leaves: the first bytes in the digest's partial ingest.
        try data.prefix(200_000).write(to: URL(fileURLWithPath: "\(store.root)/ingest/\(desc.digest.encoded).partial"))
        let registry = try await FakeRegistry { req in
            if req.path == "/v2/" { return .init(200) }
            return .init(206, [("Content-Range", "bytes 200000-499999/500000")], body: data.suffix(from: 200_000))
        }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        try await session.download(desc, into: store)
        #expect(try store.read(desc.digest) == data)
        #expect(registry.requests.last?.headers["range"] == "bytes=200000-")
    }

    @Test func unreachableRegistryIsReportedAsSuch() async throws {
        let registry = try await FakeRegistry { _ in .init(200) }
        let host = registry.host
        await registry.stop()
        let session = try await client.session(domain: host, repository: "r", credentials: nil)
        await #expect { try await session.manifest("1") } throws: { error in
            let e = error as? RegistryError
            return e?.code == .unavailable && e?.message.contains("\(host)/v2/") == true && e?.message.contains("connection refused") == true
        }
    }

    @Test func uploadOpensASessionAndPutsTheWholeBlobWithItsDigest() async throws {
        let data = blob(70_000)
        let desc = descriptor(data)
        let store = try tempStore()
        try store.write(data, expected: desc.digest)
        let registry = try await FakeRegistry { req in
            switch (req.method, req.path) {
            case ("GET", "/v2/"): return .init(200)
            case ("HEAD", _): return .init(404)
            case ("POST", "/v2/r/blobs/uploads/"): return .init(202, [("Location", "/v2/r/blobs/uploads/u1?_state=s")])
            case ("PUT", "/v2/r/blobs/uploads/u1"):
                return req.uri.contains("digest=\(desc.digest)") && req.body == data ? .init(201) : .init(400)
            default: return .init(500)
            }
        }
        defer { Task { await registry.stop() } }
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil, actions: ["pull", "push"])
        #expect(try await session.blobExists(desc.digest) == false)
        try await session.upload(desc.digest, size: desc.size, from: store.path(desc.digest))
        #expect(registry.requests.contains { $0.method == "PUT" && $0.uri.contains("_state=s&digest=") })
    }
}

/// A thread-safe request counter for scripted registries.
final class Counter: Sendable {
    let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

