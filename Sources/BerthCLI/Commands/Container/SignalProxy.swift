import BerthAPI
import Dispatch
import Foundation
import Glibc

/// `--sig-proxy`: signals this process receives are sent on to the container (`kill`), as the
/// docker CLI does for attaches without a terminal.
final class SignalProxy {
    /// Every signal a user or a supervisor sends; not the faults, SIGCHLD, SIGPIPE or SIGURG.
    static let forwarded: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM, SIGCONT, SIGTSTP,
                                     SIGTTIN, SIGTTOU, SIGWINCH, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO, SIGPWR]
    private var sources: [any DispatchSourceSignal] = []

    init(socket: String, container: String) {
        let queue = DispatchQueue(label: "berth.signal-proxy")
        for sig in Self.forwarded {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                _ = try? API(client: try UnixHTTPClient(socketPath: socket))
                    .call("POST", "/containers/\(container)/kill", query: [("signal", "\(sig)")])
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops forwarding and restores the default handlers.
    func stop() {
        for s in sources { s.cancel() }
        sources = []
        for sig in Self.forwarded { signal(sig, SIG_DFL) }
    }
}
