import BerthOCI
import BerthRegistry
import BerthStore
import Foundation
import Testing

/// Issue 8's registry-protocol abuse: credentials kept to the registry's own origin, and a
/// registry that goes silent failing the request with a timeout instead of hanging it.
@Suite struct RegistryFaultTests {
    func store() throws -> ContentStore { try ContentStore(root: NSTemporaryDirectory() + "berth-registry-fault-\(UUID().uuidString)") }

    func blob(_ size: Int) -> Data { Data((0..<size).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) }) }

    /// A blob GET redirected to another origin (127.0.0.1 on another port: a CDN) reaches it
    /// without the Authorization header the registry itself got, for basic and bearer auth.
    /// A token realm on another origin does get the basic credentials: that is Docker's
    /// token flow (registry-1.docker.io sends clients to auth.docker.io with them).
    @Test(arguments: ["basic", "bearer"])
    func credentialsNeverFollowARedirectToAnotherHost(scheme: String) async throws {
        let data = blob(50_000)
        let desc = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(of: data), size: Int64(data.count))
        let basic = "Basic " + Data("alice:pw".utf8).base64EncodedString()
        let cdn = try await FakeRegistry { req in
            req.path == "/token" ? .init(200, body: Data(#"{"token":"T0K"}"#.utf8)) : .init(200, body: data)
        }
        defer { Task { await cdn.stop() } }
        let expected = scheme == "basic" ? basic : "Bearer T0K"
        let challenge = scheme == "basic" ? "Basic realm=\"r\"" : "Bearer realm=\"http://\(cdn.host)/token\",service=\"fake\""
        let registry = try await FakeRegistry { req in
            guard req.headers["authorization"] == expected else { return .init(401, [("WWW-Authenticate", challenge)]) }
            if req.path == "/v2/" { return .init(200) }
            return .init(307, [("Location", "http://\(cdn.host)/blobs/\(desc.digest.encoded)?signed=1")])
        }
        defer { Task { await registry.stop() } }
        let session = try await RegistryClient().session(domain: registry.host, repository: "team/app", credentials: .init(username: "alice", password: "pw"))
        let s = try store()
        try await session.download(desc, into: s)
        #expect(s.exists(desc.digest))
        let asked = registry.requests.filter { $0.path.hasPrefix("/v2/team/app/blobs/") }
        #expect(!asked.isEmpty && asked.allSatisfy { $0.headers["authorization"] == expected }, "the registry itself gets the credentials")
        let redirected = cdn.requests.filter { $0.path.hasPrefix("/blobs/") }
        #expect(redirected.count == 1)
        #expect(redirected.allSatisfy { $0.headers["authorization"] == nil }, "\(redirected.map(\.headers))")
        if scheme == "bearer" {
            #expect(cdn.requests.first { $0.path == "/token" }?.headers["authorization"] == basic, "the realm gets the basic credentials, as Docker sends them")
        }
    }

    /// A registry that accepts the connection and never answers the blob GET, and one that
    /// sends the head and part of the body and then stalls: with a 1 s read timeout the
    /// download fails (after its retries) with an error that says it timed out, and keeps
    /// nothing under the digest.
    @Test(arguments: [nil, 20_000] as [Int?])
    func aSilentRegistryFailsTheDownloadWithATimeout(stallAfter: Int?) async throws {
        let data = blob(50_000)
        let desc = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256(of: data), size: Int64(data.count))
        let registry = try await FakeRegistry { req in
            req.path == "/v2/" ? .init(200) : .init(200, body: data, stallAfter: .some(stallAfter))
        }
        defer { Task { await registry.stop() } }
        let client = RegistryClient(timeouts: RegistryTimeouts(connect: .seconds(5), read: .seconds(1)))
        let session = try await client.session(domain: registry.host, repository: "r", credentials: nil)
        let s = try store()
        await #expect { try await session.download(desc, into: s) } throws: { error in
            let e = error as? RegistryError
            return e?.code == .unavailable && e?.message.contains("timeout: \(registry.host) sent nothing for 1s") == true
        }
        #expect(!s.exists(desc.digest))
        #expect(registry.requests.filter { $0.path.hasPrefix("/v2/r/blobs/") }.count == 4, "each of the 4 attempts timed out; no more were made")
    }

    /// berthd's timeouts come from its environment as Go durations; a bad one is refused by name.
    @Test func timeoutsComeFromTheEnvironment() throws {
        #expect(try RegistryTimeouts.fromEnvironment([:]) == RegistryTimeouts(connect: .seconds(30), read: .seconds(120)))
        let set = try RegistryTimeouts.fromEnvironment(["BERTH_REGISTRY_CONNECT_TIMEOUT": "2s", "BERTH_REGISTRY_READ_TIMEOUT": "500ms"])
        #expect(set == RegistryTimeouts(connect: .seconds(2), read: .milliseconds(500)))
        #expect { try RegistryTimeouts.fromEnvironment(["BERTH_REGISTRY_READ_TIMEOUT": "soon"]) } throws: { error in
            (error as? RegistryError)?.message.hasPrefix("BERTH_REGISTRY_READ_TIMEOUT=soon is not a positive duration") == true
        }
        #expect(throws: RegistryError.self) { try RegistryTimeouts.fromEnvironment(["BERTH_REGISTRY_CONNECT_TIMEOUT": "0s"]) }
    }
}
