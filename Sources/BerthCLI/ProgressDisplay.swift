import Foundation
import Glibc

/// Renders Docker's JSON message stream (pull, push) as the docker CLI does: on a terminal one
/// line per layer, rewritten in place with its bar; otherwise plain lines, with the byte
/// progress left out.
struct ProgressDisplay {
    let terminal: Bool
    let emit: (String) -> Void
    private var lines: [String: Int] = [:]
    private var out = ""

    /// Writes to `fd`: stdout, or stderr for the pull `run` does before it starts a container.
    init(fd: Int32 = 1) {
        self.init(terminal: isatty(fd) != 0) { text in
            fflush(nil)
            FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(Data(text.utf8))
        }
    }

    init(terminal: Bool, emit: @escaping (String) -> Void) {
        self.terminal = terminal
        self.emit = emit
    }

    /// Shows one message (already checked for errors).
    mutating func show(_ msg: [String: Any]) {
        if msg["aux"] != nil { return }
        let id = msg["id"] as? String ?? ""
        let detail = msg["progressDetail"] as? [String: Any]
        let progress = msg["progress"] as? String ?? ""
        let isProgress = detail != nil
        var diff = 0
        if !id.isEmpty, isProgress {
            if lines[id] == nil {
                lines[id] = lines.count
                if terminal { out += "\n" }
            }
            diff = lines.count - (lines[id] ?? 0)
            if terminal, diff > 0 { out += "\u{1b}[\(diff)A" }
        } else {
            // A line that is not a layer's ends the block of layer lines above it.
            lines = [:]
        }
        let status = msg["status"] as? String ?? ""
        var endl = ""
        if terminal, isProgress {
            out += "\u{1b}[2K\r"
            endl = "\r"
        } else if isProgress, !progress.isEmpty {
            return flush()
        }
        if !id.isEmpty { out += "\(id): " }
        if let stream = msg["stream"] as? String {
            out += stream + endl
        } else if terminal, isProgress {
            out += "\(status) \(progress)\(endl)"
        } else {
            out += "\(status)\(endl)\n"
        }
        if terminal, !id.isEmpty, diff > 0 { out += "\u{1b}[\(diff)B" }
        flush()
    }

    private mutating func flush() {
        guard !out.isEmpty else { return }
        emit(out)
        out = ""
    }
}
