import Foundation
import Testing

/// The Engine API contract on the wire (docker-api.md §1–2).
@Suite(.serialized) struct EngineAPITests {
    @Test func pingAnswersWithVersionHeaders() throws {
        let d = try Daemon()
        for method in ["GET", "HEAD"] {
            let r = Run.curl(socket: d.socket, path: "/_ping", method: method, extra: method == "HEAD" ? ["-I"] : [])
            #expect(r.stdout.hasPrefix("HTTP/1.1 200"))
            #expect(r.stdout.contains("Api-Version: 1.50"))
            #expect(r.stdout.contains("Ostype: linux"))
            if method == "GET" { #expect(r.stdout.hasSuffix("\r\n\r\nOK")) }
        }
    }

    @Test(arguments: [
        ("/v1.41/version", "200", "\"ApiVersion\":\"1.50\""),
        ("/version", "200", "\"MinAPIVersion\":\"1.24\""),
        ("/v1.99/version", "400", "client version 1.99 is too new. Maximum supported API version is 1.50"),
        ("/v1.12/version", "400", "client version 1.12 is too old"),
        ("/v1.41/nothing", "404", "{\"message\":\"page not found\"}"),
        ("/v1.41/networks", "501", "berthd does not support networks"),
        ("/v1.41/containers/x/archive?path=%2F", "404", "No such container: x"),
        ("/v1.41/images/nope/json", "404", "No such image: nope"),
        ("/v1.41/images/json?filters=%7Bbad", "400", "invalid filters"),
    ])
    func versionsRoutesAndErrorsFollowDocker(path: String, status: String, body: String) throws {
        let d = try Daemon()
        let r = Run.curl(socket: d.socket, path: path)
        #expect(r.stdout.hasPrefix("HTTP/1.1 \(status)"), "\(r.stdout)")
        #expect(r.stdout.contains(body), "\(r.stdout)")
    }

    @Test func socketIsOwnerAndGroupOnly() throws {
        let d = try Daemon()
        let attrs = try FileManager.default.attributesOfItem(atPath: d.socket)
        #expect((attrs[.posixPermissions] as? Int) == 0o660)
    }

    @Test func secondDaemonOnTheSameDataRootIsRefused() throws {
        let d = try Daemon()
        let r = Run.run(Binaries.berthd, ["--data-root", d.dataRoot, "--exec-root", "\(d.dir)/run2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("another berthd is already using the data root"), "\(r.stderr)")
    }
}
