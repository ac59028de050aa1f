@testable import BerthEngine
import Testing

/// `-v` specs by Docker's Linux rules (volume/mounts/linux_parser.go).
struct MountPointParseTests {
    @Test(arguments: [
        ("/host:/ctr", MountPoint(type: .bind, source: "/host", destination: "/ctr", propagation: "rprivate", createsSource: true)),
        ("/host/./x/:/ctr/../c:ro", MountPoint(type: .bind, source: "/host/x", destination: "/c", readOnly: true, mode: "ro",
                                                propagation: "rprivate", createsSource: true)),
        ("/host:/ctr:rw,rshared", MountPoint(type: .bind, source: "/host", destination: "/ctr", mode: "rw,rshared",
                                             propagation: "rshared", createsSource: true)),
        ("data:/ctr", MountPoint(type: .volume, name: "data", destination: "/ctr", mode: "z", copyData: true)),
        ("data:/ctr:ro,nocopy", MountPoint(type: .volume, name: "data", destination: "/ctr", readOnly: true, mode: "ro,nocopy")),
        ("jupyterhub-user-alice:/home/jovyan/work:rw", MountPoint(type: .volume, name: "jupyterhub-user-alice", destination: "/home/jovyan/work",
                                                                   mode: "rw", copyData: true)),
        ("/ctr", MountPoint(type: .volume, destination: "/ctr", mode: "z", copyData: true, anonymous: true)),
    ])
    func validSpecsResolveLikeDocker(spec: String, expected: MountPoint) throws {
        #expect(try MountPoint.parse(bind: spec) == expected)
    }

    @Test(arguments: [
        ("/foo:rw", "invalid volume specification: '/foo:rw'"),
        ("a:/b:ro:x", "invalid volume specification"),
        ("/h:/c:rw,ro", "invalid mode: rw,ro"),
        ("/h:/c:bogus", "invalid mode: bogus"),
        ("data:/c:shared", "field BindOptions must not be specified"),
        ("/h:/c:nocopy", "field VolumeOptions must not be specified"),
        ("data:relative", "mount path must be absolute"),
        ("data:/", "destination can't be '/'"),
        ("./dir:/c", "includes invalid characters for a local volume name"),
        ("x:/c", "volume name is too short"),
    ])
    func invalidSpecsAreRefusedWithDockersMessage(spec: String, message: String) {
        #expect {
            _ = try MountPoint.parse(bind: spec)
        } throws: { error in
            (error as? EngineError)?.kind == .invalid && "\(error)".contains(message)
        }
    }
}
