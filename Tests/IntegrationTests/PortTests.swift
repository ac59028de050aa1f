import Foundation
import Testing

/// `berth port` and the `NetworkSettings.Ports` shape it and the docker CLI read.
@Suite(.serialized) struct PortTests {
    @Test func portListsPublishedPortsAndNamesAnUnpublishedOne() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let imp = await d.berth("import", "-c", "CMD [\"sleep\", \"1000\"]", "-c", "EXPOSE 80 53/udp", Fixtures.busyboxTar, "web")
        #expect(imp.status == 0, "\(imp.stderr)")
        let create = await d.berth("create", "--name", "www", "web")
        #expect(create.status == 0, "\(create.stderr)")
        #expect(await d.berth("inspect", "-f", "{{json .NetworkSettings.Ports}}", "www").stdout == "{}\n", "not running: none")
        #expect(await d.berth("start", "www").status == 0)
        let ports = await d.berth("inspect", "-f", "{{json .NetworkSettings.Ports}}", "www").stdout
        #expect(ports == "{\"53/udp\":null,\"80/tcp\":null}\n", "exposed, unpublished: \(ports)")
        let none = await d.berth("port", "www")
        #expect(none.status == 0 && none.stdout.isEmpty, "\(none.stderr)")
        for (arg, shown) in [("80", "80"), ("80/tcp", "80/tcp"), ("53/udp", "53/udp")] {
            let r = await d.berth("port", "www", arg)
            #expect(r.status == 1)
            #expect(r.stderr == "Error: No public port '\(shown)' published for www\n", "\(r.stderr)")
        }
        let bad = await d.berth("port", "www", "http")
        #expect(bad.status == 1 && bad.stderr.hasPrefix("Error: invalid port (http)"), "\(bad.stderr)")
        let dk = await d.docker("port", "www", "80/tcp")
        #expect(dk.status != 0 && dk.stderr.contains("No public port '80/tcp' published for www"), "the docker CLI reads the same shape: \(dk.stderr)")
        #expect(await d.berth("run", "-d", "--name", "hh", "--network", "host", "web").status == 0)
        #expect(await d.berth("inspect", "-f", "{{json .NetworkSettings.Ports}}", "hh").stdout == "{}\n", "no port mapping on the host's network")
        await d.berth("rm", "-f", "www", "hh")
    }

    /// Records written by `-p` (the networking work) carry `HostConfig.PortBindings`; until
    /// create accepts them, the test writes them into a stopped berthd's record.
    @Test func portPrintsBindingsFromTheRecordLikeDocker() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let id = await d.berth("create", "--name", "pub", "bb", "sleep", "1000").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        d.stop()
        let path = "\(d.dataRoot)/containers/\(id)/config.json"
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var host = record["hostConfig"] as? [String: Any] ?? [:]
        host["PortBindings"] = ["8080/tcp": [["HostIp": "0.0.0.0", "HostPort": "32768"], ["HostIp": "::", "HostPort": "32768"]],
                                "443/tcp": [["HostIp": "127.0.0.1", "HostPort": "8443"]], "9/udp": NSNull()]
        record["hostConfig"] = host
        try JSONSerialization.data(withJSONObject: record).write(to: URL(fileURLWithPath: path))
        try await offPool { try d.start() }
        #expect(await d.berth("start", "pub").status == 0)
        let all = await d.berth("port", "pub")
        #expect(all.stdout == "443/tcp -> 127.0.0.1:8443\n8080/tcp -> 0.0.0.0:32768\n8080/tcp -> [::]:32768\n", "\(all.stdout) \(all.stderr)")
        #expect(await d.berth("port", "pub", "8080").stdout == "0.0.0.0:32768\n[::]:32768\n")
        #expect(await d.docker("port", "pub", "443/tcp").stdout == "127.0.0.1:8443\n")
        #expect(await d.berth("port", "pub", "9/udp").status == 1, "a port without bindings is not published")
        await d.berth("rm", "-f", "pub")
    }
}
