import CBerthSys
import Glibc

/// `--init`: PID 1 stays a minimal init (as Docker's tini-based docker-init does) that forwards
/// signals to the real process and reaps every zombie, exiting with the process's status.
///
/// It runs with the process's final credentials (after capabilities and user are applied), is
/// non-dumpable (inherited from the shim) and its executable is the shim's sealed memfd copy.
enum TinyInit {
    /// Forks: the child returns (and goes on to execve the process); the parent never returns.
    static func forkChild() {
        var all = sigset_t()
        sigfillset(&all)
        var previous = sigset_t()
        sigprocmask(SIG_SETMASK, &all, &previous)
        let child = fork()
        if child < 0 { return }  // fall back to exec'ing the process as PID 1
        if child == 0 {
            // Its own process group, in the foreground of the terminal if there is one (as tini).
            setpgid(0, 0)
            if isatty(0) == 1 { tcsetpgrp(0, getpgrp()) }
            sigprocmask(SIG_SETMASK, &previous, nil)
            return
        }
        // The error pipe belongs to the child now: its CLOEXEC close signals the exec to the shim.
        _ = berth_close_range(3, UInt32.max, 0)
        supervise(child)
    }

    private static func supervise(_ child: pid_t) -> Never {
        var all = sigset_t()
        sigfillset(&all)
        while true {
            var info = siginfo_t()
            let signal = sigwaitinfo(&all, &info)
            if signal < 0 { continue }
            if signal != SIGCHLD {
                if signal != SIGTTIN && signal != SIGTTOU && signal != SIGTSTP { kill(child, signal) }
                continue
            }
            while true {
                var status: Int32 = 0
                let pid = waitpid(-1, &status, WNOHANG)
                if pid <= 0 { break }
                if pid == child { _exit(exitCode(status)) }
            }
        }
    }

    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
