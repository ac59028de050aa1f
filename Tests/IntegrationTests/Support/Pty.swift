import Foundation

/// Drives a command on a pseudo-terminal, as a user at a keyboard would (through python's pty
/// module): waits for text, types, and reports how the command ended.
enum Pty {
    enum Step: Encodable {
        /// Waits (up to 20 s) until the output contains the text.
        case expect(String)
        /// Types the text in one write.
        case type(String)
        /// Types each byte separately, as keys are pressed.
        case keys([UInt8])

        func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            switch self {
            case .expect(let s): try c.encode("expect"); try c.encode(s)
            case .type(let s): try c.encode("type"); try c.encode(s)
            case .keys(let b): try c.encode("keys"); try c.encode(b)
            }
        }
    }

    struct Outcome {
        /// nil when the command was still running 20 s after the last step (then killed).
        let exitCode: Int?
        let output: String
    }

    static let driver = """
    import json, os, pty, select, sys, time
    steps = json.loads(sys.argv[1]); argv = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    def pump(until, timeout=20):
        global out
        end = time.time() + timeout
        while time.time() < end and not until():
            r, _, _ = select.select([fd], [], [], 0.1)
            if not r: continue
            try: data = os.read(fd, 4096)
            except OSError: return False
            if not data: return False
            out += data
        return until()
    ok = True
    for kind, arg in steps:
        if kind == "expect": ok = ok and pump(lambda: arg.encode() in out)
        elif kind == "type": os.write(fd, arg.encode())
        else:
            for b in arg:
                os.write(fd, bytes([b])); time.sleep(0.1)
    pump(lambda: False)
    end = time.time() + 20
    done, status = os.waitpid(pid, os.WNOHANG)
    while done == 0 and time.time() < end:
        time.sleep(0.05); done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 9); os.waitpid(pid, 0); code = None
    else:
        code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"code": code, "out": out.decode("utf-8", "replace")}))
    """

    static func run(_ argv: [String], env: [String: String], _ steps: [Step]) async -> Outcome {
        let json = String(decoding: (try? JSONEncoder().encode(steps)) ?? Data(), as: UTF8.self)
        let r = await offPool { Run.run("/usr/bin/python3", ["-c", driver, json] + argv, env: env) }
        let obj = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
        return Outcome(exitCode: obj["code"] as? Int, output: obj["out"] as? String ?? r.stderr)
    }
}
