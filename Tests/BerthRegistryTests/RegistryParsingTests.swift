import BerthRegistry
import Foundation
import Testing

struct RegistryParsingTests {
    @Test(arguments: [
        ("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
         AuthChallenge.Scheme.bearer, "https://auth.docker.io/token", "registry.docker.io", "repository:library/busybox:pull"),
        ("bearer realm=\"http://127.0.0.1:5000/token\", service=\"local\"", .bearer, "http://127.0.0.1:5000/token", "local", nil),
        ("Basic realm=\"basic-realm\"", .basic, "basic-realm", nil, nil),
        ("Bearer realm=\"x\\\"y\",scope=\"repository:a:pull,push\"", .bearer, "x\"y", nil, "repository:a:pull,push"),
    ] as [(String, AuthChallenge.Scheme, String, String?, String?)])
    func challengeParsesSchemeAndParameters(header: String, scheme: AuthChallenge.Scheme, realm: String, service: String?, scope: String?) throws {
        let c = try #require(AuthChallenge.parse(header))
        #expect(c.scheme == scheme)
        #expect(c.realm == realm)
        #expect(c.service == service)
        #expect(c.scope == scope)
    }

    @Test func challengeOfAnotherSchemeIsIgnored() {
        #expect(AuthChallenge.parse("Negotiate abc") == nil)
        #expect(AuthChallenge.parse("") == nil)
    }

    @Test(arguments: [
        ("127.0.0.1:5000", true), ("127.8.9.10", true), ("localhost:5000", true), ("[::1]:5000", true),
        ("10.1.2.3:5000", true), ("myreg.example:443", true), ("10.2.0.1", false), ("192.0.2.7:5000", false), ("registry-1.docker.io", false),
    ])
    func insecureRegistriesAreLoopbackAndWhatIsListed(domain: String, insecure: Bool) throws {
        let list = try InsecureRegistries(["10.1.0.0/16", "myreg.example:443"])
        #expect(list.allows(domain) == insecure)
    }

    @Test func malformedInsecureRegistryIsRefused() {
        #expect(throws: RegistryError.self) { try InsecureRegistries(["10.0.0.0/99"]) }
    }

    @Test(arguments: [("docker.io", "registry-1.docker.io"), ("index.docker.io", "registry-1.docker.io"), ("localhost:5000", "localhost:5000"), ("ghcr.io", "ghcr.io")])
    func dockerHubIsServedByRegistry1(domain: String, host: String) {
        #expect(RegistryEndpoint.host(for: domain) == host)
    }

    @Test(arguments: [("https://index.docker.io/v1/", "docker.io"), ("localhost:5000", "localhost:5000"), ("http://127.0.0.1:5000/", "127.0.0.1:5000"), ("", "docker.io")])
    func loginServerAddressNamesADomain(address: String, domain: String) {
        #expect(RegistryEndpoint.domain(ofServerAddress: address) == domain)
    }

    @Test func registryAuthHeaderDecodesBothBase64Alphabets() throws {
        let json = #"{"username":"u?>","password":"p~~~>","serveraddress":"localhost:5000"}"#
        let std = Data(json.utf8).base64EncodedString()
        let url = std.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        for header in [std, url] {
            let c = try #require(try RegistryCredentials.decode(header: header))
            #expect(c.username == "u?>" && c.password == "p~~~>")
        }
        #expect(try RegistryCredentials.decode(header: "e30=") == nil)
        #expect(try RegistryCredentials.decode(header: nil) == nil)
        #expect(throws: RegistryError.self) { try RegistryCredentials.decode(header: "!!!") }
    }

    @Test func authFieldOfConfigJSONGivesUserAndPassword() throws {
        let auth = Data("alice:s3:cret".utf8).base64EncodedString()
        let c = try #require(try RegistryCredentials.decode(json: Data(#"{"auth":"\#(auth)"}"#.utf8)))
        #expect(c.username == "alice" && c.password == "s3:cret")
    }
}
