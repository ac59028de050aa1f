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

    @Test func portPrintsPublishedBindingsLikeDocker() async throws {
        let d = try await offPool { try Fixtures.daemonWithBusybox() }
        let run = await d.berth("run", "-d", "--name", "pub", "-p", "127.0.0.1:8443:443", "-p", "8080", "-p", "9/udp", "bb", "sleep", "1000")
        #expect(run.status == 0, "\(run.stderr)")
        let host = await d.berth("inspect", "-f", "{{(index (index .NetworkSettings.Ports \"8080/tcp\") 0).HostPort}}", "pub").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(host) ?? 0) >= 1024, "the daemon chose the host port: \(host)")
        let all = await d.berth("port", "pub")
        let udp = await d.berth("port", "pub", "9/udp").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Docker's natural order: 9 < 443 < 8080.
        #expect(all.stdout == "9/udp -> \(udp)\n443/tcp -> 127.0.0.1:8443\n8080/tcp -> 0.0.0.0:\(host)\n", "\(all.stdout) \(all.stderr)")
        #expect(await d.berth("port", "pub", "8080").stdout == "0.0.0.0:\(host)\n")
        #expect(await d.docker("port", "pub", "443/tcp").stdout == "127.0.0.1:8443\n")
        await d.berth("rm", "-f", "pub")
    }
}
