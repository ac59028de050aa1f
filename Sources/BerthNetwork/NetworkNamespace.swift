import CBerthSys
import Glibc

/// A container's network namespace, bind-mounted on a file under berthd's exec root so it
/// outlives both the process that made it and berthd itself; the shim's init joins it by
/// path. Its links are configured from outside through a netlink socket opened inside it.
public struct NetworkNamespace: Sendable {
    /// The nsfs bind mount.
    public let path: String

    public init(path: String) { self.path = path }

    /// Creates the namespace with its loopback up; returns a netlink socket inside it.
    public static func create(at path: String) throws(NetworkError) -> (NetworkNamespace, RouteSocket) {
        let fd = berth_netns_create(path)
        guard fd >= 0 else { throw .sys("create network namespace \(path)", errno: errno) }
        let ns = NetworkNamespace(path: path)
        let inside = RouteSocket(adopting: fd)
        do throws(NetworkError) {
            try inside.setLink(index: 1, up: true, "bring up the loopback interface")
        } catch {
            ns.remove()
            throw error
        }
        return (ns, inside)
    }

    /// A netlink socket inside this namespace.
    public func routeSocket() throws(NetworkError) -> RouteSocket {
        let fd = berth_netns_netlink(path)
        guard fd >= 0 else { throw .sys("enter network namespace \(path)", errno: errno) }
        return RouteSocket(adopting: fd)
    }

    public var exists: Bool { access(path, F_OK) == 0 }

    /// Unmounts and deletes the file; the namespace itself goes when its last process does.
    public func remove() { _ = berth_netns_remove(path) }

    /// Opens the namespace file, for IFLA_NET_NS_FD.
    func open() throws(NetworkError) -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .sys("open network namespace \(path)", errno: errno) }
        return fd
    }
}

/// Writes under /proc/sys (of berthd's network namespace for net.* keys).
public enum Sysctl {
    /// `net/ipv4/ip_forward` ← `1`. Returns false when it could not be written.
    @discardableResult
    public static func set(_ key: String, _ value: String) -> Bool {
        let fd = Glibc.open("/proc/sys/\(key)", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        return write(fd, bytes, bytes.count) == bytes.count
    }

    public static func get(_ key: String) -> String? {
        let fd = Glibc.open("/proc/sys/\(key)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buf, buf.count)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
