import BerthRuntime
import Glibc

// berth-shim --bundle DIR --socket PATH [--wait-for-start]
// Started by berthd (posix_spawn + setsid) once per container; see `Shim` for what it does.
// berth-shim --view: a stopped container's filesystem for `docker cp`; see `RootfsView`.
// Argument parsing stays by hand: the shim must not pull in anything that could start a thread.

func usage() -> Never {
    let text = "usage: berth-shim --bundle DIR --socket PATH [--wait-for-start]\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

if CommandLine.arguments.dropFirst().first == "--view" { exit(RootfsView.main()) }

var bundle: String?
var socket: String?
var waitForStart = false
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--bundle": bundle = arguments.next()
    case "--socket": socket = arguments.next()
    case "--wait-for-start": waitForStart = true
    default: usage()
    }
}
guard let bundle, let socket else { usage() }
if let problem = SealedExecutable.reexecIfNeeded() {
    let text = "berth-shim: running unsealed: \(problem)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
}
// Run from a memfd, the kernel names us "memfd:berth-shi"; ps and top should say what we are.
let comm = open("/proc/self/comm", O_WRONLY | O_CLOEXEC)
if comm >= 0 {
    _ = "berth-shim".withCString { write(comm, $0, strlen($0)) }
    close(comm)
}
exit(Shim.main(bundle: bundle, socket: socket, waitForStart: waitForStart))
