import Foundation
import Testing
@testable import BerthCLI

/// The pull stream dockerd sent in the reference capture (04-cli-pull-ok), and what the docker
/// CLI printed for it.
struct ProgressDisplayTests {
    static var stream: [[String: Any]] { [
        ["status": "Pulling from capbuild", "id": "1"],
        ["status": "Already exists", "progressDetail": [String: Any](), "id": "06535b302f40"],
        ["status": "Pulling fs layer", "progressDetail": [String: Any](), "id": "786d2b17a294"],
        ["status": "Downloading", "progressDetail": ["current": 115, "total": 115], "progress": "[==================================================>]     115B/115B", "id": "786d2b17a294"],
        ["status": "Verifying Checksum", "progressDetail": [String: Any](), "id": "786d2b17a294"],
        ["status": "Download complete", "progressDetail": [String: Any](), "id": "786d2b17a294"],
        ["status": "Extracting", "progressDetail": ["current": 115, "total": 115], "progress": "[==================================================>]     115B/115B", "id": "786d2b17a294"],
        ["status": "Pull complete", "progressDetail": [String: Any](), "id": "786d2b17a294"],
        ["status": "Digest: sha256:ee238c50d27b0b3d85ff780352912696c4addde622c47bc0ba52530b22475bcb"],
        ["status": "Status: Downloaded newer image for localhost:5000/capbuild:1"],
    ] }

    func render(terminal: Bool, _ messages: [[String: Any]]) -> String {
        var text = ""
        var display = ProgressDisplay(terminal: terminal) { text += $0 }
        for m in messages { display.show(m) }
        return text
    }

    @Test func plainOutputMatchesTheDockerCLI() {
        #expect(render(terminal: false, Self.stream) == """
        1: Pulling from capbuild
        06535b302f40: Already exists
        786d2b17a294: Pulling fs layer
        786d2b17a294: Verifying Checksum
        786d2b17a294: Download complete
        786d2b17a294: Pull complete
        Digest: sha256:ee238c50d27b0b3d85ff780352912696c4addde622c47bc0ba52530b22475bcb
        Status: Downloaded newer image for localhost:5000/capbuild:1

        """)
    }

    @Test func terminalRewritesEachLayerLineInPlace() {
        let out = render(terminal: true, Array(Self.stream[0...3]))
        let esc = "\u{1b}"
        #expect(out == "1: Pulling from capbuild\n"
            + "\n\(esc)[1A\(esc)[2K\r06535b302f40: Already exists \r\(esc)[1B"
            + "\n\(esc)[1A\(esc)[2K\r786d2b17a294: Pulling fs layer \r\(esc)[1B"
            + "\(esc)[1A\(esc)[2K\r786d2b17a294: Downloading [==================================================>]     115B/115B\r\(esc)[1B")
    }

    @Test func auxMessagesAreNotShown() {
        #expect(render(terminal: false, [["progressDetail": [String: Any](), "aux": ["Tag": "1"]]]).isEmpty)
    }

    @Test func configKeysAndAuthHeaderFollowTheDockerCLI() throws {
        #expect(DockerConfig.key(forServer: "docker.io") == "https://index.docker.io/v1/")
        #expect(DockerConfig.key(forServer: "https://127.0.0.1:5000/") == "127.0.0.1:5000")
        let dir = NSTemporaryDirectory() + "berth-cli-config-\(UUID().uuidString)"
        var config = DockerConfig(path: "\(dir)/config.json", document: ["credsStore": "", "other": 1])
        #expect(try config.registryAuthHeader(for: "127.0.0.1:5000") == "e30=")
        try config.store(server: "127.0.0.1:5000", username: "u", password: "p:w")
        let reread = try DockerConfig.load("\(dir)/config.json")
        #expect(reread.document["other"] as? Int == 1, "keys berth does not know are kept")
        let header = try reread.registryAuthHeader(for: "127.0.0.1:5000")
        let json = try JSONSerialization.jsonObject(with: Data(base64Encoded: header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))!) as? [String: String]
        #expect(json == ["username": "u", "password": "p:w", "serveraddress": "127.0.0.1:5000"])
        var again = reread
        #expect(try again.remove(server: "http://127.0.0.1:5000"))
        #expect(try DockerConfig.load("\(dir)/config.json").registryAuthHeader(for: "127.0.0.1:5000") == "e30=")
    }
}
