@testable import BerthEngine
import BerthNetwork
import Testing

/// `HostConfig.PortBindings` and `-P` as the engine reads them.
@Suite struct PortRequestTests {
    static func binding(_ ip: String?, _ port: String?) -> DockerHostConfig.PortBinding {
        var b = DockerHostConfig.PortBinding()
        b.HostIp = ip
        b.HostPort = port
        return b
    }

    @Test func bindingsGiveOneRequestEachWithItsAddressAndPorts() throws {
        let r = try PortRequest.parse(bindings: ["80/tcp": [Self.binding("", "8080")], "53/udp": [Self.binding("127.0.0.1", "")],
                                                 "90": [Self.binding(nil, "9000-9010")], "8888/tcp": nil],
                                      exposed: [], publishAll: false)
        #expect(r.count == 4)
        #expect(r.contains(PortRequest(proto: .tcp, containerPort: 80, hostIP: nil, hostPorts: 8080...8080)))
        #expect(r.contains(PortRequest(proto: .udp, containerPort: 53, hostIP: IPv4Address("127.0.0.1"), hostPorts: nil)))
        #expect(r.contains(PortRequest(proto: .tcp, containerPort: 90, hostIP: nil, hostPorts: 9000...9010)))
        #expect(r.contains(PortRequest(proto: .tcp, containerPort: 8888)), "a null binding list means any host port (docker-py)")
    }

    @Test func publishAllAddsEveryExposedPortWithoutABinding() throws {
        let r = try PortRequest.parse(bindings: ["80/tcp": [Self.binding("", "8080")]], exposed: ["80/tcp", "443/tcp", "53/udp"], publishAll: true)
        #expect(r.count == 3)
        #expect(r.contains(PortRequest(proto: .tcp, containerPort: 443)))
        #expect(r.contains(PortRequest(proto: .udp, containerPort: 53)))
        #expect(try PortRequest.parse(bindings: [:], exposed: ["443/tcp"], publishAll: false).isEmpty)
    }

    @Test(arguments: [("80/sctp", "", ""), ("0/tcp", "", ""), ("80/tcp", "::", "80"), ("80/tcp", "", "9-8"), ("80/tcp", "nohost", "80")])
    func whatBerthdCannotPublishIsRefused(key: String, ip: String, port: String) {
        #expect(throws: EngineError.self) { try PortRequest.parse(bindings: [key: [Self.binding(ip, port)]], exposed: [], publishAll: false) }
    }

    @Test func loopbackResolversAreDroppedForABridgedContainer() {
        #expect(Engine.withoutLoopbackResolvers("nameserver 127.0.0.53\noptions edns0\n") == "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n")
        #expect(Engine.withoutLoopbackResolvers("nameserver 10.0.0.2\nnameserver 127.0.0.1\n") == "nameserver 10.0.0.2\n")
    }
}
